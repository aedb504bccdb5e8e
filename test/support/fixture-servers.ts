import { readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';

/**
 * Real local HTTP(S) servers for upstream tests: serve corpus indexes, demand Basic auth, redirect to
 * another origin, or misbehave (endless, slow, gzip-bomb bodies). Every request is recorded with its
 * headers so tests can assert what an upstream actually received (e.g. no Authorization after a
 * cross-origin redirect).
 */
export interface RecordedRequest {
  method: string;
  /** Path and query string as received. */
  url: string;
  headers: IncomingHttpHeaders;
}

export type FixtureHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/** Keys are `"/path"` (any method) or `"GET /path"`; matched on the path without the query string. */
export type FixtureRoutes = Record<string, FixtureHandler>;

export interface FixtureServerOptions {
  /** Serve https with this key and certificate (see tls-fixtures.ts). */
  tls?: { key: string; cert: string };
}

export interface FixtureServer {
  /** `http(s)://127.0.0.1:<port>`, no trailing slash. */
  url: string;
  port: number;
  requests: RecordedRequest[];
  /**
   * Resolves when the server receives the next request for `path` (matched without the query string;
   * any path when omitted), before its handler runs: a test can act while the client is known to be
   * inside that request.
   */
  received(path?: string): Promise<RecordedRequest>;
  close(): Promise<void>;
}

function routeHandler(routes: FixtureRoutes): FixtureHandler {
  return (req, res) => {
    const path = new URL(req.url ?? '/', 'http://fixture').pathname;
    const handler = routes[`${req.method ?? 'GET'} ${path}`] ?? routes[path];
    if (handler) return handler(req, res);
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  };
}

export async function startFixtureServer(
  handlerOrRoutes: FixtureHandler | FixtureRoutes,
  options: FixtureServerOptions = {},
): Promise<FixtureServer> {
  const handler = typeof handlerOrRoutes === 'function' ? handlerOrRoutes : routeHandler(handlerOrRoutes);
  const requests: RecordedRequest[] = [];
  let waiters: Array<{ path: string | undefined; resolve: (request: RecordedRequest) => void }> = [];
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    const recorded = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers };
    requests.push(recorded);
    const path = new URL(recorded.url, 'http://fixture').pathname;
    const matching = waiters.filter((w) => w.path === undefined || w.path === path);
    waiters = waiters.filter((w) => !matching.includes(w));
    for (const waiter of matching) waiter.resolve(recorded);
    Promise.resolve(handler(req, res)).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500);
      res.end(String(error));
    });
  };
  const server: Server = options.tls ? createHttpsServer(options.tls, listener) : createHttpServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    requests,
    received: (path) => new Promise((resolve) => waiters.push({ path, resolve })),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Servers started through `serve` are all closed by `closeAll` (one `after` hook per test file). */
export function fixtureServerPool(): {
  serve: (...args: Parameters<typeof startFixtureServer>) => Promise<FixtureServer>;
  closeAll: () => Promise<void>;
} {
  const servers: FixtureServer[] = [];
  return {
    serve: async (...args) => {
      const server = await startFixtureServer(...args);
      servers.push(server);
      return server;
    },
    closeAll: async () => {
      await Promise.all(servers.splice(0).map((server) => server.close()));
    },
  };
}

// ---- Handlers ---------------------------------------------------------------------------------------

export interface BodyOptions {
  status?: number;
  headers?: Record<string, string>;
}

/** Answers with `body` and its Content-Length (unless `headers` sets one). */
export function sendBody(body: string | Buffer, options: BodyOptions = {}): FixtureHandler {
  const length = String(Buffer.byteLength(body));
  return (_req, res) => {
    res.writeHead(options.status ?? 200, { 'content-length': length, ...options.headers }).end(body);
  };
}

/** Serves a file (read once), e.g. a corpus index, as `text/yaml` unless told otherwise. */
export function serveFile(path: string, contentType = 'text/yaml'): FixtureHandler {
  return sendBody(readFileSync(path), { headers: { 'content-type': contentType } });
}

export function redirectTo(
  location: string | ((req: IncomingMessage) => string),
  status = 302,
): FixtureHandler {
  return (req, res) => {
    res.writeHead(status, { location: typeof location === 'string' ? location : location(req) }).end();
  };
}

/** Wraps a handler behind HTTP Basic auth; a wrong or missing password gets 401 with a Basic challenge. */
export function withBasicAuth(username: string, password: string, handler: FixtureHandler): FixtureHandler {
  const expected = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  return (req, res) => {
    if (req.headers.authorization === expected) return handler(req, res);
    res.writeHead(401, { 'www-authenticate': 'Basic realm="fixture"' }).end('unauthorized\n');
  };
}

/** Streams `chunkBytes` of filler every tick, forever (no Content-Length). */
export function endlessBody(chunkBytes = 64 * 1024): FixtureHandler {
  return (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/yaml' });
    const chunk = Buffer.alloc(chunkBytes, 'a');
    const timer = setInterval(() => res.write(chunk), 1);
    res.on('close', () => clearInterval(timer));
  };
}

/** Declares a Content-Length of `declaredBytes`, sends one byte, then stalls. */
export function lyingContentLength(declaredBytes: number): FixtureHandler {
  return (_req, res) => {
    res.writeHead(200, { 'content-length': String(declaredBytes) });
    res.write('a');
  };
}

/** An endless gzip stream of empty members: the compressed bytes grow forever, the output never does. */
export function endlessEmptyGzip(): FixtureHandler {
  const emptyMember = gzipSync(Buffer.alloc(0));
  const chunk = Buffer.concat(new Array<Buffer>(1000).fill(emptyMember));
  return (_req, res) => {
    res.writeHead(200, { 'content-encoding': 'gzip' });
    const timer = setInterval(() => res.write(chunk), 1);
    res.on('close', () => clearInterval(timer));
  };
}

/** Sends one byte every `intervalMs`, forever: a slowloris upstream. */
export function slowBody(intervalMs = 1000): FixtureHandler {
  return (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/yaml' });
    res.write('a');
    const timer = setInterval(() => res.write('a'), intervalMs);
    res.on('close', () => clearInterval(timer));
  };
}

/**
 * A small gzip body that inflates to `inflatedMiB` MiB of zeros. gzip members concatenate, so one
 * compressed MiB repeated is a valid stream, and no big buffer is ever allocated.
 */
export function gzipBombBytes(inflatedMiB = 64): Buffer {
  const member = gzipSync(Buffer.alloc(1024 * 1024), { level: 9 });
  return Buffer.concat(new Array<Buffer>(inflatedMiB).fill(member));
}

export function gzipBomb(inflatedMiB = 64): FixtureHandler {
  return sendBody(gzipBombBytes(inflatedMiB), {
    headers: { 'content-type': 'text/yaml', 'content-encoding': 'gzip' },
  });
}

/** The classic "billion laughs" in YAML (~300 bytes; 9^8 strings once expanded). */
export const ALIAS_BOMB_YAML = [
  'apiVersion: v1',
  'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
  'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
  'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
  'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
  'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
  'f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]',
  'g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]',
  'h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]',
  'entries: {x: [*h]}',
  '',
].join('\n');

/** An index whose chart "deep" holds a flow sequence nested `depth` deep (the document is depth + 2 deep). */
export function deepYaml(depth: number): string {
  return `apiVersion: v1\nentries:\n  deep: ${'['.repeat(depth)}${']'.repeat(depth)}\n`;
}

/** A JSON document nested `depth` objects deep. */
export function deepJson(depth: number): string {
  return `{"apiVersion":"v1","entries":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`;
}
