import { ApiError } from '../../../src/client/api-client.js';

/**
 * A failure as a sentence a person can act on. The API's messages are written for people already; a
 * bare 500 carries a correlation id in its message. Anything else is a bug in the console, and its
 * message (never its stack) is shown so it can be reported.
 */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 403) return `${error.message} Ask a tenant administrator if you need this.`;
    return error.message;
  }
  if (error instanceof Error) return `The console failed unexpectedly: ${error.message}`;
  return 'The console failed unexpectedly.';
}
