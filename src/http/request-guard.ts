import type { FastifyReply, FastifyRequest } from 'fastify';
import { DistributionError, distributionErrorBody } from '../protocol/oci/distribution-error.js';
import { checkRepositoryPath } from '../protocol/oci/reference.js';
import { InvalidRequestError, NotFoundError } from '../shared/errors.js';
import { errorHandler } from './error-handler.js';
import { CONTROL_CHARACTERS, shownName } from '../shared/text.js';
import type { Http } from './types.js';

/*
 * Defence in depth at the HTTP edge, behind the per-route parameter schemas: a request whose decoded
 * path holds a control character (NUL first of all: PostgreSQL refuses it in text) or cannot be
 * decoded at all, or whose query holds one, never reaches a handler. Each protocol area answers in its
 * own dialect, with the status its per-route checks give: under /api and elsewhere the SPEC's JSON
 * 404, under /helm ChartMuseum's `{"error"}` 404, under /v2 the distribution spec's code for the part
 * that is wrong (NAME_INVALID, TAG_INVALID, DIGEST_INVALID, BLOB_UPLOAD_UNKNOWN). A bad query value is
 * a 400 everywhere.
 */

export type ProtocolArea = 'api' | 'helm' | 'v2' | 'other';

export function areaOf(path: string): ProtocolArea {
  if (path.startsWith('/api/')) return 'api';
  if (path.startsWith('/helm/')) return 'helm';
  if (path === '/v2' || path.startsWith('/v2/')) return 'v2';
  return 'other';
}

/** The path of a URL (no query), decoded where it can be; `ok` is false when it cannot be or holds a control character. */
export function decodedPath(url: string): { path: string; ok: boolean } {
  const raw = url.split('?', 1)[0] ?? '';
  try {
    const path = decodeURIComponent(raw);
    return { path, ok: !CONTROL_CHARACTERS.test(path) };
  } catch {
    return { path: raw, ok: false };
  }
}

/** The first query key whose (decoded) value or name holds a control character; null when none. */
export function badQueryKey(query: unknown): string | null {
  if (query === null || typeof query !== 'object') return null;
  for (const [key, value] of Object.entries(query as Record<string, unknown>)) {
    const values = Array.isArray(value) ? value : [value];
    if (
      CONTROL_CHARACTERS.test(key) ||
      values.some((v) => typeof v === 'string' && CONTROL_CHARACTERS.test(v))
    )
      return key;
  }
  return null;
}

/** Registers the check; it runs first, on every route and on the not-found handlers. */
export function registerRequestGuard(app: Http): void {
  app.addHook('onRequest', async (req, reply) => {
    const { path, ok } = decodedPath(req.url);
    if (!ok) return refusePath(req, reply, path);
    const key = badQueryKey(req.query);
    if (key !== null) return refuseQuery(req, reply, path, key);
    return undefined;
  });
}

/**
 * Fastify's `frameworkErrors`: a URL its router cannot decode (`%FF`) or a path parameter longer than
 * any route accepts is answered like any other path that names nothing, in the area's dialect.
 */
export function frameworkErrors(
  error: Error & { code?: string },
  req: FastifyRequest,
  reply: FastifyReply,
): void {
  if (error.code === 'FST_ERR_BAD_URL' || error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    refusePath(req, reply, decodedPath(req.url).path);
    return;
  }
  errorHandler(error, req, reply);
}

function refusePath(req: FastifyRequest, reply: FastifyReply, path: string): FastifyReply {
  switch (areaOf(path)) {
    case 'helm':
      return reply.status(404).send({ error: `Path "${shownName(path)}" was not found.` });
    case 'v2': {
      const checked = checkRepositoryPath(path.replace(/^\/v2\/?/, ''), req.method);
      // Every part of a repository path has a grammar without control characters or "%", so the check
      // finds the part that is wrong; the fallback only covers a path it would let through.
      const e =
        checked instanceof DistributionError
          ? checked
          : new DistributionError(400, 'NAME_INVALID', `${shownName(path)} is not a valid repository path.`);
      return distribution(reply, e);
    }
    default:
      errorHandler(new NotFoundError('Path', shownName(path)), req, reply);
      return reply;
  }
}

function refuseQuery(req: FastifyRequest, reply: FastifyReply, path: string, key: string): FastifyReply {
  const message = `The query parameter "${shownName(key)}" holds a control character: send printable text.`;
  switch (areaOf(path)) {
    case 'helm':
      return reply.status(400).send({ error: message });
    case 'v2':
      return distribution(
        reply,
        new DistributionError(
          400,
          key === 'digest' || key === 'mount' ? 'DIGEST_INVALID' : 'UNSUPPORTED',
          message,
        ),
      );
    default:
      errorHandler(
        new InvalidRequestError(message, [{ field: key, message: 'holds a control character' }]),
        req,
        reply,
      );
      return reply;
  }
}

function distribution(reply: FastifyReply, e: DistributionError): FastifyReply {
  return reply
    .status(e.status)
    .header('docker-distribution-api-version', 'registry/2.0')
    .send(distributionErrorBody(e));
}
