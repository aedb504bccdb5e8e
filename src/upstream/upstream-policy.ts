/** What every upstream request is held to: the SSRF rule, deadlines, redirects and the User-Agent. */
export interface UpstreamPolicy {
  allowPrivateEndpoints: boolean;
  /** Deadline for the whole exchange, redirects and body included. */
  timeoutMs: number;
  /** Longest wait for response headers or between two body chunks. */
  idleTimeoutMs: number;
  maxRedirects: number;
  userAgent: string;
}

export const DEFAULT_UPSTREAM_TIMEOUT_MS = 60_000;
export const DEFAULT_UPSTREAM_IDLE_TIMEOUT_MS = 15_000;
export const DEFAULT_UPSTREAM_MAX_REDIRECTS = 5;

export function charthouseUserAgent(version: string): string {
  return `Charthouse/${version}`;
}

/** A policy with the documented defaults for what `overrides` leaves out. */
export function createUpstreamPolicy(
  overrides: Partial<UpstreamPolicy> & Pick<UpstreamPolicy, 'userAgent'>,
): UpstreamPolicy {
  return {
    allowPrivateEndpoints: false,
    timeoutMs: DEFAULT_UPSTREAM_TIMEOUT_MS,
    idleTimeoutMs: DEFAULT_UPSTREAM_IDLE_TIMEOUT_MS,
    maxRedirects: DEFAULT_UPSTREAM_MAX_REDIRECTS,
    ...overrides,
  };
}
