/**
 * Errors in the OCI distribution spec's dialect (research/protocols.md c.3): the OCI routes throw
 * DistributionError and their error handler answers `status` with distributionErrorBody(e). The message
 * reaches the user through helm/oras (`response status code 404: manifest unknown: <message>`), so it
 * says what to fix.
 */

export type DistributionErrorCode =
  | 'BLOB_UNKNOWN'
  | 'BLOB_UPLOAD_INVALID'
  | 'BLOB_UPLOAD_UNKNOWN'
  | 'DIGEST_INVALID'
  | 'MANIFEST_BLOB_UNKNOWN'
  | 'MANIFEST_INVALID'
  | 'MANIFEST_UNKNOWN'
  | 'NAME_INVALID'
  | 'NAME_UNKNOWN'
  | 'SIZE_INVALID'
  | 'UNAUTHORIZED'
  | 'DENIED'
  | 'UNSUPPORTED'
  | 'TOOMANYREQUESTS'
  | 'TAG_INVALID'
  | 'RANGE_INVALID'
  // Not in the OCI spec's list (which has no code for a server-side outage), but distribution's own
  // errcode registry answers 503 with it, and clients print it as "service unavailable".
  | 'UNAVAILABLE';

export class DistributionError extends Error {
  constructor(
    readonly status: number,
    readonly code: DistributionErrorCode,
    message: string,
    readonly detail?: unknown,
  ) {
    super(message);
    this.name = 'DistributionError';
  }
}

export interface DistributionErrorBody {
  errors: [{ code: DistributionErrorCode; message: string; detail?: unknown }];
}

/** `{"errors":[{code, message, detail?}]}`; detail is left out when there is none. */
export function distributionErrorBody(e: DistributionError): DistributionErrorBody {
  return {
    errors: [
      e.detail === undefined
        ? { code: e.code, message: e.message }
        : { code: e.code, message: e.message, detail: e.detail },
    ],
  };
}
