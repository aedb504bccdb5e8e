import type { RequestOptions } from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';
import { UpstreamError } from '../../shared/errors.js';
import { checkHostAllowed, type AddressPolicy } from '../address-policy.js';
import { displayUrl, headerValue, upstreamFetch } from '../http-client.js';
import type { UpstreamCredentials, UpstreamTls } from '../upstream-connection.js';
import type { UpstreamPolicy } from '../upstream-policy.js';
import {
  KubeConfigError,
  KubeEndpointRefusedError,
  KubeForbiddenError,
  KubeGoneError,
  KubeNotFoundError,
  KubeResponseError,
  KubeTooLargeError,
  KubeUnauthorizedError,
  KubeUnavailableError,
  KubeUnreachableError,
} from './kube-errors.js';

/*
 * Read-only JSON access to a Kubernetes API server from a kubeconfig (its current context), for the
 * server (kubeconfig clusters) and the agent (its own cluster). client-node's KubeConfig reads the
 * kubeconfig and works out the credentials (running exec plugins, for the agent: the server refuses
 * those earlier, in clusters/kubeconfig-check.ts); the requests themselves go through the upstream HTTP
 * client, so the address policy is checked at connect time and every exchange is bounded in time and
 * bytes, exactly as for registries.
 *
 * - `policy: null` (the agent, inside the tenant's network) allows private addresses; metadata
 *   addresses stay refused: no API server lives there, and they hold cloud credentials.
 * - No redirects are followed: an API server does not send them, and the bearer token must not travel.
 * - A server path prefix (Rancher's `https://rancher/k8s/clusters/c-x`) is kept in front of API paths.
 * - Not supported: `tls-server-name`, `proxy-url`, impersonation headers (refused server-side anyway).
 */

export interface KubeApiOptions {
  /** The server's address policy; null in the agent (see above). */
  policy: AddressPolicy | null;
  /** Whole exchange, body included. */
  timeoutMs?: number;
  /** Longest wait for headers or between two body chunks. */
  idleTimeoutMs?: number;
  /** Largest response body accepted (default 64 MiB). */
  maxBodyBytes?: number;
  userAgent?: string;
}

export interface KubeApi {
  /** The API server as it may appear in messages (no credentials, no query). */
  readonly server: string;
  /**
   * GETs `path` (e.g. `/api/v1/secrets`) with `query` and returns the parsed JSON. Fails with a
   * KubeApiError subclass; a caller's abort rejects with the signal's reason.
   */
  getJson(
    path: string,
    query?: Record<string, string | undefined>,
    signal?: AbortSignal,
    maxBodyBytes?: number,
  ): Promise<unknown>;
}

export const DEFAULT_KUBE_TIMEOUT_MS = 60_000;
export const DEFAULT_KUBE_IDLE_TIMEOUT_MS = 15_000;
export const DEFAULT_KUBE_MAX_BODY_BYTES = 64 * 1024 * 1024;

interface RequestTarget {
  verb: string;
  resource: string;
  namespace: string | undefined;
}

/** What a GET of `path` is in RBAC terms: `list secrets in namespace x`, `get namespaces/y`. */
export function describeKubeRequest(path: string): RequestTarget {
  const segments = path.split('/').filter(Boolean);
  let rest = segments[0] === 'api' ? segments.slice(2) : segments.slice(3);
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  return { verb: rest.length >= 2 ? 'get' : 'list', resource: rest[0] ?? path, namespace };
}

function where(target: RequestTarget): string {
  return target.namespace === undefined ? 'across all namespaces' : `in namespace ${target.namespace}`;
}

/** The API server's own message from a Status body, cut and cleaned, or ''. */
function statusMessage(body: Buffer): string {
  try {
    const status = JSON.parse(body.toString('utf8')) as { message?: unknown };
    if (typeof status.message !== 'string') return '';
    // eslint-disable-next-line no-control-regex
    const clean = status.message.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').slice(0, 300);
    return ` The API server said: ${clean}`;
  } catch {
    return '';
  }
}

function failForStatus(
  status: number,
  path: string,
  server: string,
  body: Buffer,
  retryAfter?: string,
): never {
  const target = describeKubeRequest(path);
  const said = statusMessage(body);
  const what = `${target.verb} ${target.resource} ${where(target)}`;
  switch (status) {
    case 401:
      throw new KubeUnauthorizedError(
        `The Kubernetes API server at ${server} rejected the kubeconfig's credentials (401): the token or client certificate is missing, expired or unknown to the cluster; upload a kubeconfig with valid credentials.${said}`,
        401,
      );
    case 403:
      throw new KubeForbiddenError(
        `The kubeconfig's user may not ${what} (403): grant ${target.verb} on ${target.resource} ${target.namespace === undefined ? 'with a ClusterRole' : `with a Role in namespace ${target.namespace}`}.${said}`,
        target.verb,
        target.resource,
        target.namespace,
      );
    case 404:
      throw new KubeNotFoundError(
        `The Kubernetes API server at ${server} answered 404 to ${what}: check that the kubeconfig's server URL points at the API server.${said}`,
        404,
      );
    case 410:
      throw new KubeGoneError(
        `The Kubernetes API server answered 410 Gone to ${what}: the list's continue token expired.${said}`,
        410,
      );
  }
  if (status === 429 || status >= 500) {
    const seconds = Number(retryAfter);
    throw new KubeUnavailableError(
      `The Kubernetes API server at ${server} answered HTTP ${status} to ${what}: it is overloaded or failing; try again later.${said}`,
      status,
      Number.isFinite(seconds) && seconds >= 0 ? seconds : undefined,
    );
  }
  throw new KubeResponseError(
    `The Kubernetes API server at ${server} answered HTTP ${status} to ${what}, which Charthouse did not expect.${said}`,
    status,
  );
}

function fromUpstreamError(error: UpstreamError, server: string): Error {
  switch (error.failure) {
    case 'endpoint_not_allowed':
      return refusedEndpoint(server, error.message);
    case 'too_large':
      return new KubeTooLargeError(
        `The Kubernetes API server at ${server} sent a response larger than the limit: ${error.message}`,
      );
    case 'redirect':
      return new KubeResponseError(
        `The Kubernetes API server at ${server} answered with a redirect, which Charthouse does not follow for a cluster: check the kubeconfig's server URL.`,
      );
    default:
      return new KubeUnreachableError(
        `The Kubernetes API server at ${server} could not be reached: ${error.message}`,
      );
  }
}

function refusedEndpoint(server: string, reason: string): KubeEndpointRefusedError {
  return new KubeEndpointRefusedError(
    `Charthouse may not connect to the kubeconfig's API server ${server}: ${reason} For a cluster in a private network, run the Charthouse agent inside it instead of uploading a kubeconfig.`,
  );
}

function pem(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) return value.map((v) => pem(v) ?? '').join('\n');
  return Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
}

/** Loads the kubeconfig's current context, checks its server against the policy, and resolves credentials. */
export async function openKubeApi(kubeconfigText: string, options: KubeApiOptions): Promise<KubeApi> {
  const config = new KubeConfig();
  try {
    config.loadFromString(kubeconfigText);
  } catch (error) {
    throw new KubeConfigError(`The kubeconfig cannot be read: ${(error as Error).message.slice(0, 200)}`);
  }
  const cluster = config.getCurrentCluster();
  if (!cluster)
    throw new KubeConfigError(
      "The kubeconfig's current context names no cluster: set current-context to a context with a cluster.",
    );
  let base: URL;
  try {
    base = new URL(cluster.server);
  } catch {
    throw new KubeConfigError(`The kubeconfig's cluster "${cluster.name}" has no valid server URL.`);
  }
  if (base.protocol !== 'https:' && base.protocol !== 'http:')
    throw new KubeConfigError(`The kubeconfig's server must be an https URL, not ${base.protocol}.`);
  const server = displayUrl(base).replace(/\/$/, '');
  const addressPolicy: AddressPolicy = options.policy ?? { allowPrivateEndpoints: true };
  try {
    checkHostAllowed(base.hostname, addressPolicy);
  } catch (error) {
    if (error instanceof UpstreamError) throw refusedEndpoint(server, error.message);
    throw error;
  }

  const https: RequestOptions = {};
  try {
    await config.applyToHTTPSOptions(https);
  } catch (error) {
    throw new KubeConfigError(
      `The kubeconfig's credentials cannot be used: ${(error as Error).message.slice(0, 300)}`,
    );
  }
  const authorization = (https.headers as Record<string, unknown> | undefined)?.['Authorization'];
  const bearer = typeof authorization === 'string' ? /^Bearer\s+(.+)$/i.exec(authorization)?.[1] : undefined;
  let credentials: UpstreamCredentials | undefined;
  if (typeof https.auth === 'string' && https.auth.includes(':')) {
    const colon = https.auth.indexOf(':');
    credentials = { username: https.auth.slice(0, colon), password: https.auth.slice(colon + 1) };
  }
  const ca = pem(https.ca);
  const clientCert = pem(https.cert);
  const clientKey = pem(https.key);
  const tls: UpstreamTls = {
    ...(ca !== undefined ? { caCert: ca } : {}),
    insecureSkipVerify: https.rejectUnauthorized === false,
    ...(clientCert !== undefined && clientKey !== undefined ? { clientCert, clientKey } : {}),
  };
  const policy: UpstreamPolicy = {
    allowPrivateEndpoints: addressPolicy.allowPrivateEndpoints,
    timeoutMs: options.timeoutMs ?? DEFAULT_KUBE_TIMEOUT_MS,
    idleTimeoutMs: options.idleTimeoutMs ?? DEFAULT_KUBE_IDLE_TIMEOUT_MS,
    maxRedirects: 0,
    userAgent: options.userAgent ?? 'Charthouse',
  };
  const basePath = base.pathname.replace(/\/+$/, '');

  return {
    server,
    async getJson(path, query = {}, signal, maxBodyBytes) {
      const url = new URL(`${base.origin}${basePath}${path}`);
      for (const [name, value] of Object.entries(query)) {
        if (value !== undefined) url.searchParams.set(name, value);
      }
      let response;
      try {
        response = await upstreamFetch(url, {
          accept: 'application/json',
          ...(bearer !== undefined ? { bearerToken: bearer } : {}),
          ...(credentials !== undefined ? { credentials } : {}),
          credentialOrigin: base.origin,
          passCredentials: false,
          tls,
          policy,
          maxBytes: maxBodyBytes ?? options.maxBodyBytes ?? DEFAULT_KUBE_MAX_BODY_BYTES,
          ...(signal !== undefined ? { signal } : {}),
        });
      } catch (error) {
        if (error instanceof UpstreamError) throw fromUpstreamError(error, server);
        throw error;
      }
      if (response.status !== 200)
        failForStatus(
          response.status,
          path,
          server,
          response.body,
          headerValue(response.headers, 'retry-after'),
        );
      try {
        return JSON.parse(response.body.toString('utf8')) as unknown;
      } catch {
        throw new KubeResponseError(
          `The Kubernetes API server at ${server} answered ${path} with a body that is not JSON.`,
          200,
        );
      }
    },
  };
}
