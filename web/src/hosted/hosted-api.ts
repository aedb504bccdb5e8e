import { ApiError, type RegistryView } from '../../../src/client/api-client.js';

/*
 * The hosted registry's calls from the console. Two dialects meet here: the JSON API (`/api/v1/...`,
 * errors `{"error":{"code","message"}}`) for the registry's settings, and the ChartMuseum API
 * (`/helm/{t}/api/charts`, errors `{"error":"message"}`) for uploads and deletions, the very endpoints
 * `helm cm-push` uses. Both take the session's Bearer token, and both fail with ApiError, so the
 * console's retry policy and error wording apply unchanged.
 */

/** Where helm clients reach the tenant's hosted registry (GET /api/v1/tenants/{t}/hosted). */
export interface HostedUrls {
  /** Classic repository: `helm repo add <tenant> <repository>`. */
  repository: string;
  /** ChartMuseum upload API, `<repository>/api/charts`. */
  chartmuseumApi: string;
  /** `host[:port]` for `helm registry login`. */
  ociHost: string;
  /** `host[:port]/<tenant>` for `helm push ... oci://<ociNamespace>`. */
  ociNamespace: string;
  /** The server speaks plain http: OCI clients need `--plain-http`. */
  plainHttp: boolean;
}

export interface HostedView {
  registry: RegistryView;
  tenant: string;
  /** Anonymous helm clients may pull without credentials. */
  publicRead: boolean;
  canPush: boolean;
  canDelete: boolean;
  urls: HostedUrls;
}

/** What the console learns from an accepted upload: the server may name the chart, else null. */
export interface UploadResult {
  name: string | null;
  version: string | null;
}

export interface HostedClientOptions {
  baseUrl: string;
  token?: string | undefined;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 120_000;

export class HostedClient {
  readonly #baseUrl: string;
  readonly #token: string | undefined;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;

  constructor(options: HostedClientOptions) {
    this.#baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#token = options.token;
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  get(tenant: string): Promise<HostedView> {
    return this.#json('GET', `/api/v1/tenants/${seg(tenant)}/hosted`);
  }

  setPublicRead(tenant: string, publicRead: boolean): Promise<HostedView> {
    return this.#json('PATCH', `/api/v1/tenants/${seg(tenant)}/hosted`, { publicRead });
  }

  /** POST the archive's bytes as they are (what `curl --data-binary @chart.tgz` sends). */
  async upload(
    tenant: string,
    archive: Blob | Uint8Array,
    options: { force?: boolean } = {},
  ): Promise<UploadResult> {
    const path = `/helm/${seg(tenant)}/api/charts${options.force ? '?force=true' : ''}`;
    const body = await this.#send('POST', path, archive, 'application/gzip');
    const named = body as { name?: unknown; version?: unknown } | null;
    return {
      name: typeof named?.name === 'string' ? named.name : null,
      version: typeof named?.version === 'string' ? named.version : null,
    };
  }

  async deleteVersion(tenant: string, chart: string, version: string): Promise<void> {
    await this.#send('DELETE', `/helm/${seg(tenant)}/api/charts/${seg(chart)}/${seg(version)}`);
  }

  #json<T>(method: string, path: string, body?: unknown): Promise<T> {
    return this.#send(
      method,
      path,
      body === undefined ? undefined : JSON.stringify(body),
      'application/json',
    ) as Promise<T>;
  }

  async #send(
    method: string,
    path: string,
    body?: RequestInit['body'] | Uint8Array,
    contentType?: string,
  ): Promise<unknown> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.#token) headers.authorization = `Bearer ${this.#token}`;
    const init: RequestInit = { method, headers, signal: AbortSignal.timeout(this.#timeoutMs) };
    if (body !== undefined) {
      if (contentType) headers['content-type'] = contentType;
      init.body = body as RequestInit['body'];
    }
    let res: Response;
    let text: string;
    try {
      res = await this.#fetch(this.#baseUrl + path, init);
      text = await res.text();
    } catch (err) {
      if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError'))
        throw new ApiError(0, 'timeout', `The server did not answer within ${this.#timeoutMs / 1000} s.`);
      throw new ApiError(0, 'server_unreachable', 'Cannot reach the server: check your connection.');
    }
    const parsed = parseJson(text);
    if (res.ok) return parsed;
    throw hostedError(res.status, parsed, res.statusText);
  }
}

function parseJson(text: string): unknown {
  if (text === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * A refusal in either dialect as an ApiError: the JSON API's `{error:{code,message}}` keeps its code;
 * ChartMuseum's `{error:"message"}` gets `http_<status>`, with the server's words as the message.
 */
export function hostedError(status: number, body: unknown, statusText = ''): ApiError {
  const error = (body as { error?: unknown } | null | undefined)?.error;
  if (typeof error === 'string' && error.trim() !== '')
    return new ApiError(status, `http_${status}`, sentence(error));
  if (typeof error === 'object' && error !== null) {
    const { code, message } = error as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && typeof message === 'string') return new ApiError(status, code, message);
  }
  const reason = statusText ? ` ${statusText}` : '';
  return new ApiError(status, `http_${status}`, `The server answered HTTP ${status}${reason}.`);
}

/** ChartMuseum's messages are lower-case fragments ("file already exists"): make them a sentence. */
function sentence(message: string): string {
  const s = message.trim();
  const capital = s.charAt(0).toUpperCase() + s.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

const seg = (s: string): string => encodeURIComponent(s);
