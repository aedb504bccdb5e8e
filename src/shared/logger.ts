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

/** The process logger: JSON lines to stdout, or to `destination` (tests capture lines to inspect them). */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { service: 'charthouse' },
  };
  return destination ? pino(options, destination) : pino(options);
}
