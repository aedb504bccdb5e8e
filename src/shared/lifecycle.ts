/**
 * Where the server is in its life, shared by the HTTP ring (readiness, connection reuse, requests in
 * flight) and the shutdown that drains it.
 */
export class ServerLifecycle {
  /** Set once on SIGTERM: /readyz answers 503, responses end their connections. */
  draining = false;
  /** Requests received and not yet answered (or abandoned by their client). */
  inFlight = 0;
}
