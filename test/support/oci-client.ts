import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';

/*
 * Raw HTTP for the OCI distribution conformance workflows: every request is sent exactly as written
 * (no retries, no auth negotiation), so a test sees each status, header and body the registry gives.
 * The negotiating client that pushes like helm is OciClient in oci-push.ts.
 */

export interface OciResponse {
  status: number;
  headers: Headers;
  body: Buffer;
  /** The body parsed as JSON (throws with the text when it is not JSON). */
  json<T = unknown>(): T;
}

export interface OciRequestOptions {
  /** A whole `Authorization` header value (see basicAuth / bearerAuth), or none. */
  auth?: string | null;
  headers?: Record<string, string>;
  /**
   * A Buffer is sent with its Content-Length; an iterable of chunks is sent chunked
   * (`Transfer-Encoding: chunked`, no Content-Length), as Docker's streamed PATCH does.
   */
  body?: Buffer | Iterable<Buffer> | AsyncIterable<Buffer>;
}

export const basicAuth = (username: string, password: string): string =>
  `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;

export const bearerAuth = (token: string): string => `Bearer ${token}`;

export function sha256Digest(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** One request to `baseUrl` + `pathOrUrl` (a `/v2/...` path, or an absolute upload Location). */
export async function ociRequest(
  baseUrl: string,
  method: string,
  pathOrUrl: string,
  opts: OciRequestOptions = {},
): Promise<OciResponse> {
  const url = new URL(pathOrUrl, baseUrl.replace(/\/+$/, '') + '/');
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.auth) headers['authorization'] = opts.auth;
  let body: RequestInit['body'];
  let streamed = false;
  if (Buffer.isBuffer(opts.body)) body = opts.body;
  else if (opts.body !== undefined) {
    const chunks = opts.body;
    streamed = true;
    body = new ReadableStream<Uint8Array>({
      async start(controller) {
        for await (const chunk of chunks) controller.enqueue(chunk);
        controller.close();
      },
    });
  }
  const res = await fetch(url, {
    method,
    headers,
    ...(body !== undefined ? { body } : {}),
    ...(streamed ? { duplex: 'half' } : {}),
    redirect: 'manual',
    signal: AbortSignal.timeout(30_000),
  } as RequestInit);
  const bytes = Buffer.from(await res.arrayBuffer());
  return {
    status: res.status,
    headers: res.headers,
    body: bytes,
    json<T>(): T {
      try {
        return JSON.parse(bytes.toString('utf8')) as T;
      } catch {
        throw new Error(`${method} ${url.pathname}: HTTP ${res.status}, not JSON: ${bytes.toString('utf8')}`);
      }
    },
  };
}

/**
 * A request whose body the server may refuse before reading it (413 on Content-Length): node:http,
 * so the answer is read even when the server closes the connection while the body is still going out.
 */
export function ociRequestRefusable(
  baseUrl: string,
  method: string,
  path: string,
  opts: { auth?: string | null; headers?: Record<string, string>; body: Buffer },
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  const url = new URL(path, baseUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      {
        method,
        headers: {
          ...opts.headers,
          ...(opts.auth ? { authorization: opts.auth } : {}),
          'content-length': String(opts.body.length),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on('error', reject);
      },
    );
    // The server may close the socket before the whole body is written: that is the point of the test.
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE' && err.code !== 'ECONNRESET') reject(err);
    });
    req.end(opts.body);
  });
}

/**
 * Asserts a distribution-spec error: the status, and a body `{"errors":[{"code":...,"message":...}]}`
 * whose first error has `code`. Returns the errors for further checks.
 */
export function assertOciError(
  res: { status: number; body: Buffer },
  status: number,
  code: string,
  what = '',
): { code: string; message: string; detail?: unknown }[] {
  const text = res.body.toString('utf8');
  assert.equal(res.status, status, `${what}: expected HTTP ${status} ${code}, got ${res.status} ${text}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    assert.fail(`${what}: the error body is not JSON: ${JSON.stringify(text.slice(0, 300))}`);
  }
  const errors = (parsed as { errors?: unknown }).errors;
  assert.ok(
    Array.isArray(errors) && errors.length > 0,
    `${what}: the error body has no "errors" list: ${text}`,
  );
  for (const e of errors as { code?: unknown; message?: unknown }[]) {
    assert.equal(typeof e.code, 'string', `${what}: an error without a code: ${text}`);
    assert.ok(e.message === undefined || typeof e.message === 'string', `${what}: message is not text`);
  }
  assert.equal((errors as { code: string }[])[0]!.code, code, `${what}: ${text}`);
  return errors as { code: string; message: string; detail?: unknown }[];
}

/** The upload session a POST / PATCH answered with: its Location (resolved) and Range. */
export function uploadLocation(res: OciResponse, baseUrl: string): string {
  const location = res.headers.get('location');
  assert.ok(location, `no Location on HTTP ${res.status}: ${res.body.toString('utf8')}`);
  return new URL(location, baseUrl).toString();
}

/** Appends `?digest=` (or `&digest=`) to an upload location, keeping its own query byte for byte. */
export function withDigest(location: string, digest: string): string {
  return `${location}${location.includes('?') ? '&' : '?'}digest=${encodeURIComponent(digest)}`;
}

/** Pushes a blob the monolithic way (POST, then PUT ?digest= with the whole body); returns its digest. */
export async function pushBlob(
  baseUrl: string,
  repository: string,
  data: Buffer,
  auth: string | null,
): Promise<string> {
  const digest = sha256Digest(data);
  const started = await ociRequest(baseUrl, 'POST', `/v2/${repository}/blobs/uploads/`, { auth });
  assert.equal(started.status, 202, `POST upload ${repository}: ${started.body.toString('utf8')}`);
  const done = await ociRequest(baseUrl, 'PUT', withDigest(uploadLocation(started, baseUrl), digest), {
    auth,
    headers: { 'content-type': 'application/octet-stream' },
    body: data,
  });
  assert.equal(done.status, 201, `PUT blob ${repository}@${digest}: ${done.body.toString('utf8')}`);
  return digest;
}

/** PUTs manifest bytes under `reference` (tag or digest); asserts 201 and returns the digest. */
export async function putManifest(
  baseUrl: string,
  repository: string,
  reference: string,
  bytes: Buffer,
  mediaType: string,
  auth: string | null,
): Promise<string> {
  const res = await ociRequest(baseUrl, 'PUT', `/v2/${repository}/manifests/${reference}`, {
    auth,
    headers: { 'content-type': mediaType },
    body: bytes,
  });
  assert.equal(res.status, 201, `PUT manifest ${repository}:${reference}: ${res.body.toString('utf8')}`);
  return sha256Digest(bytes);
}

/** `<...>; rel="next"` of a Link header (RFC 5988), or null when there is none. */
export function nextLink(headers: Headers): string | null {
  const link = headers.get('link');
  if (link === null) return null;
  const match = /^<([^>]+)>;\s*rel="next"$/.exec(link.trim());
  assert.ok(match, `Link header is not RFC 5988 <url>; rel="next": ${link}`);
  return match[1]!;
}

/**
 * Pushes a chart as Helm >= 3.18 does (research/protocols.md b.5), with credentials sent up front:
 * HEAD each blob, POST + PUT ?digest= the missing ones, HEAD the manifest by digest, PUT it by digest
 * if missing, GET it by digest and PUT the same bytes by tag. Returns the manifest digest.
 */
export async function pushChartLikeHelm(
  baseUrl: string,
  repository: string,
  artifact: { manifest: Buffer; digest: string; tag: string; blobs: { data: Buffer }[] },
  auth: string | null,
): Promise<string> {
  const manifestType = 'application/vnd.oci.image.manifest.v1+json';
  for (const { data } of artifact.blobs) {
    const head = await ociRequest(baseUrl, 'HEAD', `/v2/${repository}/blobs/${sha256Digest(data)}`, { auth });
    if (head.status === 404) await pushBlob(baseUrl, repository, data, auth);
    else assert.equal(head.status, 200, `HEAD blob in ${repository}`);
  }
  const head = await ociRequest(baseUrl, 'HEAD', `/v2/${repository}/manifests/${artifact.digest}`, {
    auth,
    headers: { accept: manifestType },
  });
  if (head.status === 404) {
    await putManifest(baseUrl, repository, artifact.digest, artifact.manifest, manifestType, auth);
  }
  const fetched = await ociRequest(baseUrl, 'GET', `/v2/${repository}/manifests/${artifact.digest}`, {
    auth,
    headers: { accept: manifestType },
  });
  assert.equal(fetched.status, 200, `GET manifest by digest: ${fetched.body.toString('utf8')}`);
  assert.equal(fetched.headers.get('content-type'), manifestType);
  await putManifest(baseUrl, repository, artifact.tag, fetched.body, manifestType, auth);
  return artifact.digest;
}
