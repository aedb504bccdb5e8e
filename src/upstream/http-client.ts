import type { IncomingHttpHeaders } from 'node:http';
import { Readable, pipeline } from 'node:stream';
import type { Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { request } from 'undici';
import type { Dispatcher } from 'undici';
import { AppError, UpstreamError } from '../shared/errors.js';
import { checkHostAllowed } from './address-policy.js';
import { dispatcherFor } from './dispatchers.js';
import type { UpstreamCredentials, UpstreamTls } from './upstream-connection.js';
import type { UpstreamPolicy } from './upstream-policy.js';

// Re-exported so callers keep one import for everything upstream.
export { closeUpstreamDispatchers, validateCaCertificate } from './dispatchers.js';
export {
  charthouseUserAgent,
  createUpstreamPolicy,
  DEFAULT_UPSTREAM_IDLE_TIMEOUT_MS,
  DEFAULT_UPSTREAM_MAX_REDIRECTS,
  DEFAULT_UPSTREAM_TIMEOUT_MS,
  type UpstreamPolicy,
} from './upstream-policy.js';

/**
 * The one HTTP client for every request Charthouse makes to an upstream registry. It enforces the SSRF
 * policy on every hop and on the address actually connected to, scopes credentials to the registry's
 * origin, follows redirects itself, bounds time and bytes, and turns failures into UpstreamErrors with
 * messages that never contain credentials or query strings. It logs nothing: callers log.
 */
export interface UpstreamRequestOptions {
  method?: 'GET' | 'HEAD';
  /** Extra headers (e.g. If-None-Match). Authorization, Cookie and Proxy-Authorization are dropped. */
  headers?: Record<string, string>;
  accept?: string;
  /** Sent as Basic auth; `bearerToken` wins when both are given. */
  credentials?: UpstreamCredentials;
  bearerToken?: string;
  /** Origin of the registry's endpoint: credentials go only there unless `passCredentials`. */
  credentialOrigin: string;
  passCredentials: boolean;
  tls: UpstreamTls;
  policy: UpstreamPolicy;
  maxBytes: number;
  /**
   * Ask for and decode gzip/deflate/br (default true). Turn it off for chart archives: their digest is
   * over the bytes as served, and misconfigured servers mark .tgz files `Content-Encoding: gzip`.
   */
  decodeContentEncoding?: boolean;
  /** Cancels the exchange (e.g. a sync being stopped); the abort reason is thrown as is. */
  signal?: AbortSignal;
}

export interface UpstreamResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  finalUrl: URL;
}

export interface UpstreamStreamResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** Decoded body, failing with UpstreamError once it passes maxBytes or the deadline. Consume or destroy it. */
  body: Readable;
  finalUrl: URL;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const DROPPED_HEADERS = new Set([
  'authorization',
  'cookie',
  'proxy-authorization',
  'host',
  'accept-encoding',
]);
const TLS_ERROR_CODE =
  /^(?:ERR_TLS_|ERR_SSL_|ERR_OSSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|HOSTNAME_MISMATCH)/;
const DNS_ERROR_CODES = new Set([
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_NONAME',
  'EAI_FAIL',
  'EAI_NODATA',
  'ENODATA',
]);

/** The URL as it may appear in messages and logs: no query string (it may carry tokens), no userinfo. */
export function displayUrl(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

/** First value of a response header (undici gives arrays for repeated headers). */
export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** Throws the UpstreamError for a non-success status; `what` names the thing fetched ("the repository index"). */
export function failForStatus(status: number, url: URL, what: string): never {
  const where = `${what} at ${displayUrl(url)}`;
  switch (status) {
    case 401:
      throw new UpstreamError(
        'unauthorized',
        `The registry answered 401 for ${where}: the credentials were rejected or are missing; check the username and password.`,
      );
    case 403:
      throw new UpstreamError(
        'forbidden',
        `The registry answered 403 for ${where}: these credentials may not read it.`,
      );
    case 404:
      throw new UpstreamError('not_found', `The registry answered 404 for ${where}: check the endpoint URL.`);
    default:
      throw new UpstreamError('bad_status', `The registry answered HTTP ${status} for ${where}.`);
  }
}

// ---- Errors ---------------------------------------------------------------------------------------

function errorCode(error: unknown): string | undefined {
  for (let current = error, hops = 0; current instanceof Error && hops < 5; hops++) {
    const code = (current as Error & { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = current.cause;
  }
  return undefined;
}

interface Exchange {
  url: URL;
  policy: UpstreamPolicy;
  deadlineFired: boolean;
  callerSignal: AbortSignal | undefined;
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

function toUpstreamError(error: unknown, exchange: Exchange): unknown {
  if (error instanceof AppError) return error;
  if (exchange.callerSignal?.aborted) return exchange.callerSignal.reason;
  const { url, policy } = exchange;
  const where = displayUrl(url);
  if (exchange.deadlineFired) {
    return new UpstreamError(
      'timeout',
      `${where} did not finish answering within ${seconds(policy.timeoutMs)}.`,
    );
  }
  const code = errorCode(error) ?? 'unknown';
  if (DNS_ERROR_CODES.has(code)) {
    const hint = code === 'EAI_AGAIN' ? 'the DNS server did not answer; try again' : 'check the host name';
    return new UpstreamError('dns', `Could not resolve host ${url.hostname}: ${hint}.`);
  }
  if (code === 'ECONNREFUSED') {
    return new UpstreamError(
      'refused',
      `${url.host} refused the connection: check the host and port, and that the registry runs.`,
    );
  }
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ETIMEDOUT') {
    return new UpstreamError('timeout', `${where} did not answer within ${seconds(policy.idleTimeoutMs)}.`);
  }
  if (code === 'UND_ERR_BODY_TIMEOUT') {
    return new UpstreamError(
      'timeout',
      `${where} stopped sending data for ${seconds(policy.idleTimeoutMs)}.`,
    );
  }
  if (TLS_ERROR_CODE.test(code)) {
    return new UpstreamError(
      'tls',
      `TLS verification of ${url.host} failed (${code}). If the registry uses a private CA, give its certificate ` +
        'in tls.caCert; tls.insecureSkipVerify turns verification off (not recommended).',
    );
  }
  if (/^(?:Z_|ERR__|ERR_BROTLI)/.test(code)) {
    return new UpstreamError(
      'network',
      `${where} sent a compressed body that does not decompress (${code}).`,
    );
  }
  return new UpstreamError(
    'network',
    `The connection to ${url.host} failed (${code}) while fetching ${where}.`,
  );
}

// ---- Requests -------------------------------------------------------------------------------------

function sameOrigin(url: URL, origin: string): boolean {
  try {
    return url.origin === new URL(origin).origin;
  } catch {
    return false;
  }
}

function requestHeaders(url: URL, opts: UpstreamRequestOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(opts.headers ?? {})) {
    if (!DROPPED_HEADERS.has(name.toLowerCase())) headers[name.toLowerCase()] = value;
  }
  headers['user-agent'] = opts.policy.userAgent;
  headers['accept-encoding'] = opts.decodeContentEncoding === false ? 'identity' : 'gzip, deflate, br';
  if (opts.accept !== undefined) headers['accept'] = opts.accept;
  // CVE-2021-32690: credentials only to the registry's own origin, re-decided on every redirect hop.
  if (opts.passCredentials || sameOrigin(url, opts.credentialOrigin)) {
    if (opts.bearerToken !== undefined) {
      headers['authorization'] = `Bearer ${opts.bearerToken}`;
    } else if (opts.credentials && (opts.credentials.username !== '' || opts.credentials.password !== '')) {
      const { username, password } = opts.credentials;
      headers['authorization'] = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
    }
  }
  return headers;
}

function checkRequestUrl(url: URL, policy: UpstreamPolicy): void {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UpstreamError(
      'redirect',
      `Charthouse only fetches http and https URLs, not ${url.protocol}//${url.host}.`,
    );
  }
  if (url.username !== '' || url.password !== '') {
    throw new UpstreamError(
      'endpoint_not_allowed',
      `URLs with credentials in them are not fetched (${displayUrl(url)}).`,
    );
  }
  checkHostAllowed(url.hostname, policy);
}

function nextHop(current: URL, location: string, hop: number, policy: UpstreamPolicy): URL {
  if (hop >= policy.maxRedirects) {
    throw new UpstreamError(
      'redirect',
      `${displayUrl(current)} redirected more than ${policy.maxRedirects} times; Charthouse stopped following.`,
    );
  }
  let next: URL;
  try {
    next = new URL(location, current);
  } catch {
    throw new UpstreamError('redirect', `${displayUrl(current)} redirected to an invalid URL.`);
  }
  next.hash = '';
  if (current.protocol === 'https:' && next.protocol === 'http:') {
    throw new UpstreamError(
      'redirect',
      `${displayUrl(current)} redirected from https to plain http (${displayUrl(next)}); Charthouse refuses the downgrade.`,
    );
  }
  return next;
}

interface OpenedResponse {
  response: Dispatcher.ResponseData;
  finalUrl: URL;
}

async function sendFollowingRedirects(
  startUrl: URL,
  opts: UpstreamRequestOptions,
  signal: AbortSignal,
  exchange: Exchange,
): Promise<OpenedResponse> {
  const dispatcher = dispatcherFor(opts.tls, opts.policy);
  let url = new URL(startUrl.href);
  url.hash = '';
  for (let hop = 0; ; hop++) {
    exchange.url = url;
    checkRequestUrl(url, opts.policy);
    const response = await request(url, {
      dispatcher,
      method: opts.method ?? 'GET',
      headers: requestHeaders(url, opts),
      signal,
    });
    const location = headerValue(response.headers, 'location');
    if (!REDIRECT_STATUSES.has(response.statusCode) || location === undefined)
      return { response, finalUrl: url };
    await response.body.dump({ limit: 64 * 1024 }).catch(() => undefined);
    url = nextHop(url, location, hop, opts.policy);
  }
}

function decoderFor(headers: IncomingHttpHeaders, url: URL): Transform | undefined {
  const encoding = (headerValue(headers, 'content-encoding') ?? 'identity').trim().toLowerCase();
  switch (encoding) {
    case 'identity':
    case '':
      return undefined;
    case 'gzip':
    case 'x-gzip':
      return createGunzip();
    case 'deflate':
      return createInflate();
    case 'br':
      return createBrotliDecompress();
    default:
      throw new UpstreamError(
        'bad_status',
        `${displayUrl(url)} answered with Content-Encoding "${encoding.slice(0, 40)}", which Charthouse did not ask for.`,
      );
  }
}

function tooLarge(url: URL, maxBytes: number): UpstreamError {
  return new UpstreamError('too_large', `${displayUrl(url)} sent more than the limit of ${maxBytes} bytes.`);
}

/**
 * Yields the body, decoded, counting bytes before and after decoding: Content-Length is not trusted,
 * and a gzip bomb stops as soon as its OUTPUT passes maxBytes.
 */
async function* limitedBody(
  raw: Readable,
  decoder: Transform | undefined,
  maxBytes: number,
  exchange: Exchange,
  finish: () => void,
): AsyncGenerator<Buffer> {
  const url = exchange.url;
  let rawBytes = 0;
  let outputBytes = 0;
  const source = decoder === undefined ? raw : pipeline(raw, decoder, () => undefined);
  if (decoder !== undefined) {
    raw.on('data', (chunk: Buffer) => {
      rawBytes += chunk.length;
      if (rawBytes > maxBytes) decoder.destroy(tooLarge(url, maxBytes));
    });
  }
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      outputBytes += chunk.length;
      if (outputBytes > maxBytes) throw tooLarge(url, maxBytes);
      yield chunk;
    }
  } catch (error) {
    throw toUpstreamError(error, exchange);
  } finally {
    raw.destroy();
    decoder?.destroy();
    finish();
  }
}

/**
 * Sends the request and returns once headers arrive; the body is a bounded, decoded stream. The total
 * deadline keeps running until the body has been read or destroyed.
 */
export async function openUpstream(url: URL, opts: UpstreamRequestOptions): Promise<UpstreamStreamResponse> {
  const controller = new AbortController();
  const exchange: Exchange = { url, policy: opts.policy, deadlineFired: false, callerSignal: opts.signal };
  const timer = setTimeout(() => {
    exchange.deadlineFired = true;
    controller.abort(new Error('upstream deadline'));
  }, opts.policy.timeoutMs);
  const onCallerAbort = () => controller.abort(opts.signal?.reason);
  opts.signal?.addEventListener('abort', onCallerAbort, { once: true });
  const finish = () => {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onCallerAbort);
  };
  if (opts.signal?.aborted) onCallerAbort();
  try {
    const { response, finalUrl } = await sendFollowingRedirects(url, opts, controller.signal, exchange);
    const length = Number(headerValue(response.headers, 'content-length') ?? NaN);
    if (length > opts.maxBytes) {
      response.body.destroy();
      throw tooLarge(finalUrl, opts.maxBytes);
    }
    let decoder: Transform | undefined;
    try {
      decoder = opts.decodeContentEncoding === false ? undefined : decoderFor(response.headers, finalUrl);
    } catch (error) {
      response.body.destroy();
      throw error;
    }
    const chunks = limitedBody(response.body, decoder, opts.maxBytes, exchange, finish);
    const body = Readable.from(chunks, { objectMode: false });
    // A body destroyed before it was read (a 404 the caller only needed the status of) never starts
    // the generator, so its `finally` would not run: the connection and the deadline timer would then
    // live until the deadline. Closing the stream releases both, whoever ends it.
    body.once('close', () => {
      // undici reports an unfinished body destroyed as an error; nobody is reading it any more.
      response.body.on('error', () => undefined);
      response.body.destroy();
      decoder?.destroy();
      finish();
    });
    return { status: response.statusCode, headers: response.headers, body, finalUrl };
  } catch (error) {
    finish();
    throw toUpstreamError(error, exchange);
  }
}

/** Fetches a URL and reads the whole (bounded, decoded) body. For HEAD the body is empty. */
export async function upstreamFetch(url: URL, opts: UpstreamRequestOptions): Promise<UpstreamResponse> {
  const opened = await openUpstream(url, opts);
  const chunks: Buffer[] = [];
  for await (const chunk of opened.body as AsyncIterable<Buffer>) chunks.push(chunk);
  return {
    status: opened.status,
    headers: opened.headers,
    body: Buffer.concat(chunks),
    finalUrl: opened.finalUrl,
  };
}
