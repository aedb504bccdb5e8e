import { randomBytes } from 'node:crypto';

/**
 * An agent token: 32 random bytes behind `cha_`, so a leaked one is easy to recognise and scan for
 * (like `chs_` sessions and `chp_` personal tokens, shared/ids.ts). Only its SHA-256 is stored.
 */
export const newAgentToken = (): string => `cha_${randomBytes(32).toString('base64url')}`;

/** What an agent token looks like: anything else is refused before any lookup. */
export const AGENT_TOKEN_PATTERN = /^cha_[A-Za-z0-9_-]{43}$/;
