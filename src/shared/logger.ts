import pino, { type DestinationStream, type Logger } from 'pino';

/**
 * Paths that may hold secrets anywhere in a log object. Redaction is the last line of defence: code
 * should not log secrets in the first place.
 */
export const REDACT_PATHS = [
  'password',
  '*.password',
  '*.*.password',
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'secretKey',
  'databaseUrl',
  '*.databaseUrl',
  'adminPassword',
  '*.adminPassword',
];

/**
 * The process logger: JSON lines to stdout, or to `destination` (tests capture lines to inspect them).
 * Every line names the node (CHARTHOUSE_NODE_ID), so the logs of several servers can be told apart.
 */
export function createLogger(level: string, node: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { service: 'charthouse', node },
  };
  return destination ? pino(options, destination) : pino(options);
}
