import { createRequire } from 'node:module';
import { InvalidRequestError } from '../shared/errors.js';

export const MIN_PASSWORD_LENGTH = 8;

/**
 * The ~49,000 most common passwords of zxcvbn-ts's common dictionary (from leaked password sets),
 * lowercased. Loaded on the first password that is set, not at start-up: decompressing the list costs
 * ~60 ms that sign-ins and CLI commands should not pay.
 */
let common: Set<string> | undefined;
function commonPasswords(): Set<string> {
  if (common === undefined) {
    const require = createRequire(import.meta.url);
    const { dictionary } = require('@zxcvbn-ts/language-common') as {
      dictionary: { 'passwords-common': string[] };
    };
    common = new Set(dictionary['passwords-common'].map((p) => p.toLowerCase()));
  }
  return common;
}

/**
 * Why a new password is refused, or null when it is acceptable. NIST SP 800-63B's rules: a minimum
 * length, no composition rules, and no password from a list of commonly used or breached ones (case
 * does not make "Password1" any less common), nor the username itself.
 */
export function passwordProblem(password: string, username: string): string | null {
  if (password.length < MIN_PASSWORD_LENGTH) return `must be at least ${MIN_PASSWORD_LENGTH} characters`;
  const folded = password.toLowerCase();
  if (folded === username.toLowerCase()) return 'must not be the username';
  if (commonPasswords().has(folded))
    return 'is one of the most common passwords, which attackers try first: choose another';
  return null;
}

/** Throws 400 naming `field` when {@link passwordProblem} refuses the password. */
export function requireAcceptablePassword(password: string, username: string, field = 'password'): void {
  const problem = passwordProblem(password, username);
  if (problem !== null) {
    throw new InvalidRequestError(`The password ${problem}.`, [{ field, message: problem }], 'weak_password');
  }
}
