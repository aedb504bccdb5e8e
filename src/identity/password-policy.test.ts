import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidRequestError } from '../shared/errors.js';
import { passwordProblem, requireAcceptablePassword } from './password-policy.js';

describe('password policy', () => {
  it('refuses the most common passwords, whatever their case', () => {
    for (const p of ['password', 'Password1', '12345678', 'QWERTYUIOP', 'iloveyou', 'trustno1', 'baseball'])
      assert.match(passwordProblem(p, 'alice') ?? '', /most common/, p);
  });

  it('refuses short passwords and the username itself', () => {
    assert.match(passwordProblem('short', 'alice') ?? '', /at least 8/);
    assert.match(passwordProblem('Alice.Smith', 'alice.smith') ?? '', /username/);
  });

  it('accepts passwords that are long enough and not common, without composition rules', () => {
    for (const p of ['correct horse battery staple', 'tenant-admin-password', 'zq8-vv1-pp0'])
      assert.equal(passwordProblem(p, 'alice'), null, p);
  });

  it('throws a 400 that names the field', () => {
    assert.throws(
      () => requireAcceptablePassword('password1', 'bob', 'newPassword'),
      (err: unknown) =>
        err instanceof InvalidRequestError &&
        err.code === 'weak_password' &&
        err.details?.[0]?.field === 'newPassword',
    );
  });
});
