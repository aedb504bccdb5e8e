/*
 * What can go wrong talking to a Kubernetes API server, one class per kind, each with a stable `code`
 * and a message that says what to fix. Plain Errors (not the server's AppError): the agent throws them
 * too, and the discovery service decides how a failed run is recorded or answered.
 */

export type KubeErrorCode =
  | 'kube_config_invalid'
  | 'kube_endpoint_not_allowed'
  | 'kube_unreachable'
  | 'kube_unauthorized'
  | 'kube_forbidden'
  | 'kube_not_found'
  | 'kube_gone'
  | 'kube_unavailable'
  | 'kube_bad_response'
  | 'kube_too_large';

export abstract class KubeApiError extends Error {
  abstract readonly code: KubeErrorCode;
  /** The HTTP status the API server answered, when it answered. */
  readonly httpStatus: number | undefined;
  constructor(message: string, httpStatus?: number) {
    super(message);
    this.name = new.target.name;
    this.httpStatus = httpStatus;
  }
}

/** The kubeconfig cannot be used: not YAML, no current context, no server, unreadable credentials. */
export class KubeConfigError extends KubeApiError {
  readonly code = 'kube_config_invalid';
}

/** The API server's address is refused by the address policy (metadata, or private when not allowed). */
export class KubeEndpointRefusedError extends KubeApiError {
  readonly code = 'kube_endpoint_not_allowed';
}

/** DNS, refused connection, TLS, timeout: no usable answer came back. */
export class KubeUnreachableError extends KubeApiError {
  readonly code = 'kube_unreachable';
}

export class KubeUnauthorizedError extends KubeApiError {
  readonly code = 'kube_unauthorized';
}

/** 403: RBAC said no. `namespace` is undefined for a cluster-wide request. */
export class KubeForbiddenError extends KubeApiError {
  readonly code = 'kube_forbidden';
  constructor(
    message: string,
    readonly verb: string,
    readonly resource: string,
    readonly namespace: string | undefined,
  ) {
    super(message, 403);
  }
}

export class KubeNotFoundError extends KubeApiError {
  readonly code = 'kube_not_found';
}

/** 410 Gone: a list's continue token expired (the server compacted its history). */
export class KubeGoneError extends KubeApiError {
  readonly code = 'kube_gone';
}

/** 429 or 5xx: the API server is there but cannot answer now; worth retrying. */
export class KubeUnavailableError extends KubeApiError {
  readonly code = 'kube_unavailable';
  constructor(
    message: string,
    httpStatus: number,
    /** Seconds, from Retry-After; undefined when the server did not say. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message, httpStatus);
  }
}

/** An answer that is not what a Kubernetes API server sends: not JSON, wrong shape, endless paging. */
export class KubeResponseError extends KubeApiError {
  readonly code = 'kube_bad_response';
}

/** A response body beyond the size limit. */
export class KubeTooLargeError extends KubeApiError {
  readonly code = 'kube_too_large';
}
