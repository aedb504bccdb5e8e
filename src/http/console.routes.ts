import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Http } from './types.js';

/**
 * The console is a static single-page app (built by Vite into dist/web). Its HTML gets a strict CSP:
 * scripts, styles and requests only from this origin, no framing, so an injected string cannot run.
 */
const CONSOLE_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "font-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

/** Paths that belong to APIs and protocols: an unknown one there is a JSON 404, never the console. */
const NOT_CONSOLE = /^\/(api|helm|v2|healthz|readyz|metrics)(\/|$|\?)/;

/** dist/web beside the compiled server (dist/http → dist/web), or dist/web from the sources (tests). */
export function findConsoleRoot(): string | null {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.resolve(here, '../web'), path.resolve(here, '../../dist/web')];
  return candidates.find((dir) => existsSync(path.join(dir, 'index.html'))) ?? null;
}

export interface ConsoleFallback {
  /** Answers a browser navigation with the app's index.html; false when the request is not one. */
  serveIndex(req: FastifyRequest, reply: FastifyReply): boolean;
}

/** Serve the built console; returns the SPA fallback the not-found handler uses for client routes. */
export async function consoleRoutes(app: Http, root: string | null): Promise<ConsoleFallback> {
  if (root === null) {
    app.log.warn('the web console is not built (run `npm run build`): only the API is served');
    return { serveIndex: () => false };
  }
  const indexHtml = readFileSync(path.join(root, 'index.html'));
  await app.register(fastifyStatic, {
    root,
    prefix: '/',
    index: false,
    // Files are listed once at start-up: the build output does not change under a running server.
    wildcard: false,
    cacheControl: false,
    setHeaders(res, filePath) {
      for (const [name, value] of Object.entries(CONSOLE_HEADERS)) res.setHeader(name, value);
      // Vite fingerprints everything under assets/, so those may be cached forever.
      const immutable = filePath.includes(`${path.sep}assets${path.sep}`);
      res.setHeader('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
  const sendIndex = (reply: FastifyReply): void => {
    void reply
      .headers(CONSOLE_HEADERS)
      .header('cache-control', 'no-cache')
      .type('text/html; charset=utf-8')
      .send(indexHtml);
  };
  app.get('/', { schema: { hide: true } }, (_req, reply) => sendIndex(reply));
  return {
    serveIndex(req, reply) {
      const wantsHtml = (req.headers.accept ?? '').includes('text/html');
      if (req.method !== 'GET' || !wantsHtml || NOT_CONSOLE.test(req.url)) return false;
      sendIndex(reply);
      return true;
    },
  };
}
