/**
 * The error catalogue. Every failure a caller can cause is one of these classes, each with a stable
 * `code`, an HTTP status and a message that tells the user what to fix. The HTTP layer maps them to the
 * SPEC's `{"error": {code, message, details}}` shape in exactly one place (http/error-handler.ts).
 * Messages must never contain secrets: they are returned to clients and logged.
 */
export interface ErrorDetail {
  /** JSON pointer-ish path of the offending field, e.g. `auth.password`. */
  field?: string;
  message: string;
}

export abstract class AppError extends Error {
  abstract readonly status: number;
  readonly code: string;
  readonly details: ErrorDetail[] | undefined;
  /** Seconds after which the same request may succeed, sent as `Retry-After`; unset when waiting will not help. */
  readonly retryAfterSeconds?: number;

  constructor(code: string, message: string, details?: ErrorDetail[]) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.details = details;
  }
}

/** 400: the request is malformed or a field is invalid in form. */
export class InvalidRequestError extends AppError {
  readonly status = 400;
  constructor(message: string, details?: ErrorDetail[], code = 'invalid_request') {
    super(code, message, details);
  }
}

/** 401: no credentials, or credentials that are wrong or expired. */
export class AuthenticationError extends AppError {
  readonly status = 401;
  constructor(message = 'Sign in first: send "Authorization: Bearer <token>".', code = 'unauthenticated') {
    super(code, message);
  }
}

/**
 * 401: an OCI registry token that does not grant what the request needs, although the user may do it.
 * `scope` (`repository:acme/x:pull,push`) goes into the challenge, so the client asks for it.
 */
export class InsufficientScopeError extends AuthenticationError {
  constructor(
    message: string,
    readonly scope: string,
  ) {
    super(message, 'insufficient_scope');
  }
}

/** 403: the caller is known and may see the object, but may not do this to it. */
export class PermissionError extends AppError {
  readonly status = 403;
  constructor(message: string, code = 'forbidden') {
    super(code, message);
  }
}

/** 404: unknown, or belongs to a tenant the caller cannot see (never 403, so ids cannot be probed). */
export class NotFoundError extends AppError {
  readonly status = 404;
  constructor(what: string, name: string) {
    super('not_found', `${what} "${name}" was not found.`);
  }
}

/** 409: the change conflicts with the current state (duplicate name, protected registry sync, ...). */
export class ConflictError extends AppError {
  readonly status = 409;
}

/** 413: the request body is larger than the server accepts. */
export class PayloadTooLargeError extends AppError {
  readonly status = 413;
  constructor(message: string) {
    super('payload_too_large', message);
  }
}

/** 429: too many attempts; `retryAfterSeconds` is sent as `Retry-After`. */
export class RateLimitedError extends AppError {
  readonly status = 429;
  constructor(
    message: string,
    override readonly retryAfterSeconds: number,
  ) {
    super('rate_limited', message);
  }
}

/** How long a client is asked to wait after a database outage: a pool reconnects within that. */
const DATABASE_RETRY_AFTER_SECONDS = 5;

/**
 * 503: the database did not answer: its connection was lost, it is restarting, or it is busy beyond the
 * configured wait (storage/errors.ts `isDatabaseUnavailable` decides which driver errors these are).
 * The request may be retried as it is. Whatever it wrote in a transaction was rolled back, unless the
 * connection died just as the commit was acknowledged: then a retry finds the change (an identical
 * push succeeds).
 */
export class DatabaseUnavailableError extends AppError {
  readonly status = 503;
  override readonly retryAfterSeconds = DATABASE_RETRY_AFTER_SECONDS;
  constructor(cause?: unknown) {
    super(
      'database_unavailable',
      'The database is not answering right now (its connection was lost, or it is restarting or overloaded). ' +
        `Retry in ${DATABASE_RETRY_AFTER_SECONDS} seconds; if this persists, ask the operator to check the database server.`,
    );
    // Kept for the server log only: the driver's message never reaches a client.
    if (cause !== undefined) this.cause = cause;
  }
}

/**
 * The kinds of failure when Charthouse talks to an upstream registry. Each maps to its own code so the
 * console and the CLI can explain it, and the sync engine can record it on a run.
 */
export type UpstreamFailure =
  | 'endpoint_not_allowed'
  | 'dns'
  | 'refused'
  | 'timeout'
  | 'tls'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'bad_status'
  | 'too_large'
  | 'redirect'
  | 'not_a_helm_repository'
  | 'not_an_oci_registry'
  | 'network';

/** 422: the registry is well formed but the upstream did not check out (unreachable, wrong password, ...). */
export class UpstreamError extends AppError {
  readonly status = 422;
  constructor(
    readonly failure: UpstreamFailure,
    message: string,
    details?: ErrorDetail[],
  ) {
    super(
      failure === 'not_a_helm_repository' || failure === 'not_an_oci_registry'
        ? failure
        : `upstream_${failure}`,
      message,
      details,
    );
  }

  /** The same failure, pointed at the request field a person should look at. */
  withField(field: string): UpstreamError {
    return new UpstreamError(this.failure, this.message, [{ field, message: this.message }]);
  }
}
