import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppServices } from '../app.services.js';
import type { Http } from '../http/types.js';
import { parseContentRange, parseRangeHeader } from '../protocol/oci/byte-ranges.js';
import { DistributionError, distributionErrorBody } from '../protocol/oci/distribution-error.js';
import { linkHeader, pageAfter } from '../protocol/oci/paging.js';
import {
  checkRepositoryPath,
  digestInvalid,
  isDigest,
  parseRepositoryPath,
} from '../protocol/oci/reference.js';
import { formatScope, parseScopes } from '../protocol/oci/token-scope.js';
import { AppError, InsufficientScopeError } from '../shared/errors.js';
import type { HostedAction, HostedTarget } from './hosted-access.js';
import {
  bodyStream,
  closeIfUnread,
  declaredLength,
  dropPayloadHeaders,
  rawBodies,
  readBody,
} from './protocol-http.js';

const API_VERSION_HEADER = { 'docker-distribution-api-version': 'registry/2.0' };
const MAX_PAGE = 1000;
const MAX_TOKEN_FORM_BYTES = 16 * 1024;

/**
 * The OCI distribution API of every hosted registry (research/protocols.md c): repository names start
 * with the tenant's slug (`/v2/acme/mychart/...`). Errors are the spec's `{"errors": [...]}`; a request
 * without credentials gets 401 with a Bearer challenge (the token endpoint below) and a Basic one, so
 * helm, oras, skopeo and docker all find a way in.
 */
export async function ociRoutes(app: Http, s: AppServices): Promise<void> {
  const bearer = (req: FastifyRequest, scope?: string): string => {
    const base = s.hosted.baseUrl(req);
    return `Bearer realm="${base}/v2/token",service="${new URL(base).host}"${scope ? `,scope="${scope}"` : ''}`;
  };
  const challenge = (req: FastifyRequest, error: unknown): string | string[] =>
    // A token without the scope: distribution's answer, so the client asks for a token that has it.
    error instanceof InsufficientScopeError
      ? `${bearer(req, error.scope)},error="insufficient_scope"`
      : [bearer(req, scopeOf(req)), 'Basic realm="Charthouse"'];

  await app.register(async (scoped: Http) => {
    rawBodies(scoped);
    scoped.setErrorHandler((error, req, reply) => {
      dropPayloadHeaders(reply);
      closeIfUnread(req, reply, error);
      void reply.headers(API_VERSION_HEADER);
      const e = toDistributionError(error);
      if (e.status === 401) void reply.header('www-authenticate', challenge(req, error));
      if (e.status >= 500) req.log.error({ err: error }, 'request failed');
      // A refused push is explained to the operator here: Helm 3 shows the status alone ("409
      // Conflict"), so the log is where its user finds why. 401 is every client's first request. The
      // path names repository and reference; the query (upload state) is left out.
      else if (e.status !== 401 && req.method !== 'GET' && req.method !== 'HEAD') {
        req.log.info(
          { status: e.status, code: e.code, path: req.url.split('?')[0], reason: e.message },
          'OCI write refused',
        );
      }
      return reply.status(e.status).send(distributionErrorBody(e));
    });

    const base = async (req: FastifyRequest, reply: FastifyReply) => {
      // Any signed-in credential opens /v2/, an OCI token without access too (helm registry login's ping).
      const { principal } = await s.hosted.access.ociCaller(req.headers.authorization, req.ip);
      if (principal === null)
        throw new DistributionError(
          401,
          'UNAUTHORIZED',
          'Sign in: send credentials (docker login / helm registry login).',
        );
      return reply.headers(API_VERSION_HEADER).send({});
    };
    scoped.get('/v2/', base);
    scoped.get('/v2', base);

    const token = async (req: FastifyRequest, reply: FastifyReply) => {
      let principal;
      let scopes: string[];
      if (req.method === 'POST') {
        // The OAuth2 form (helm login tries it first): grant_type=password with username and password.
        const form = new URLSearchParams(
          (await readBody(req, MAX_TOKEN_FORM_BYTES, 'token request')).toString('utf8'),
        );
        if (form.get('grant_type') !== 'password') {
          throw new DistributionError(
            400,
            'UNSUPPORTED',
            'Only grant_type=password is supported; or use GET with Basic credentials.',
          );
        }
        const basic = Buffer.from(`${form.get('username') ?? ''}:${form.get('password') ?? ''}`).toString(
          'base64',
        );
        principal = await s.hosted.access.caller(`Basic ${basic}`, req.ip);
        scopes = (form.get('scope') ?? '').split(' ').filter(Boolean);
      } else {
        principal = await s.hosted.access.caller(req.headers.authorization, req.ip);
        const q = req.query as Record<string, string | string[] | undefined>;
        scopes = ([] as string[]).concat(q['scope'] ?? []);
      }
      const granted = await s.hosted.access.grant(principal, parseScopes(scopes));
      const issued = s.hosted.access.issueToken(principal, granted);
      return reply.send({
        token: issued.token,
        access_token: issued.token,
        expires_in: issued.expiresIn,
        issued_at: issued.issuedAt,
        scope: granted.map(formatScope).join(' '),
      });
    };
    scoped.get('/v2/token', token);
    scoped.post('/v2/token', token);

    scoped.get('/v2/_catalog', async (req, reply) => {
      const principal = s.hosted.access.openCatalog(
        await s.hosted.access.ociCaller(req.headers.authorization, req.ip),
      );
      const names = (await s.hosted.ociCatalog(principal)).sort(byteOrder);
      return sendPage(req, reply, '/v2/_catalog', names, (items) => ({ repositories: items }));
    });

    scoped.route({
      method: ['GET', 'HEAD', 'POST', 'PATCH', 'PUT', 'DELETE'],
      url: '/v2/*',
      exposeHeadRoute: false,
      handler: async (req, reply) => {
        // Name, reference, digest and upload id are checked before anything is looked up.
        const checked = checkRepositoryPath((req.params as { '*': string })['*'], req.method);
        if (checked instanceof DistributionError) throw checked;
        const { repository, kind, rest } = checked;
        void reply.headers(API_VERSION_HEADER);
        const open = (action: HostedAction) => openRepository(s, req, repository, action);
        switch (kind) {
          case 'manifests':
            return manifests(s, req, reply, repository, rest, open);
          case 'blobs':
            return blobs(s, req, reply, rest, open);
          case 'uploads':
            return uploads(s, req, reply, repository, rest, open);
          case 'tags': {
            if (req.method !== 'GET') throw unsupported(req);
            const target = await open('pull');
            const tags = await s.hosted.oci.tags(target, repository);
            if (tags === null)
              throw new DistributionError(404, 'NAME_UNKNOWN', `Repository ${repository} does not exist.`, {
                name: repository,
              });
            return sendPage(req, reply, `/v2/${repository}/tags/list`, tags, (items) => ({
              name: repository,
              tags: items,
            }));
          }
        }
      },
    });
  });
}

type Open = (action: HostedAction) => Promise<HostedTarget>;

async function openRepository(
  s: AppServices,
  req: FastifyRequest,
  repository: string,
  action: HostedAction,
): Promise<HostedTarget> {
  const caller = await s.hosted.access.ociCaller(req.headers.authorization, req.ip);
  try {
    return await s.hosted.access.openOci(caller, repository, action);
  } catch (err) {
    // Another tenant's repository is "unknown", exactly like one that does not exist.
    if (err instanceof AppError && err.status === 404) {
      throw new DistributionError(
        404,
        'NAME_UNKNOWN',
        `Repository ${repository} does not exist or is not yours.`,
        { name: repository },
      );
    }
    throw err;
  }
}

async function manifests(
  s: AppServices,
  req: FastifyRequest,
  reply: FastifyReply,
  repository: string,
  reference: string,
  open: Open,
) {
  switch (req.method) {
    case 'GET':
    case 'HEAD': {
      const target = await open('pull');
      const row = await s.hosted.oci.manifest(target, repository, reference);
      void reply
        .header('content-type', row.media_type)
        .header('docker-content-digest', row.digest)
        .header('etag', `"${row.digest}"`)
        .header('content-length', String(row.size));
      return req.method === 'HEAD' ? reply.send() : reply.send(row.content);
    }
    case 'PUT': {
      const target = await open('push');
      const body = await readBody(req, s.hosted.oci.limits.maxManifestBytes, 'manifest').catch(
        (err: unknown) => {
          if (err instanceof AppError && err.status === 413)
            throw new DistributionError(413, 'SIZE_INVALID', err.message);
          throw err;
        },
      );
      const digest = await s.hosted.oci.putManifest(
        target,
        repository,
        reference,
        body,
        req.headers['content-type'],
        s.hosted.baseUrl(req),
      );
      return reply
        .status(201)
        .header('location', `/v2/${repository}/manifests/${digest}`)
        .header('docker-content-digest', digest)
        .header('content-length', '0')
        .send();
    }
    case 'DELETE': {
      const target = await open('delete');
      await s.hosted.oci.deleteManifest(target, repository, reference);
      return reply.status(202).header('content-length', '0').send();
    }
  }
  throw unsupported(req);
}

async function blobs(s: AppServices, req: FastifyRequest, reply: FastifyReply, digest: string, open: Open) {
  switch (req.method) {
    case 'GET':
    case 'HEAD': {
      const target = await open('pull');
      const size = await s.hosted.oci.blobSize(target, digest);
      if (size === null)
        throw new DistributionError(404, 'BLOB_UNKNOWN', `Blob ${digest} is not in this repository.`, {
          digest,
        });
      void reply
        .header('docker-content-digest', digest)
        .header('etag', `"${digest}"`)
        .header('accept-ranges', 'bytes')
        .type('application/octet-stream');
      if (req.method === 'HEAD') return reply.header('content-length', String(size)).send();
      const range = parseRangeHeader(req.headers.range, size);
      if (range === 'unsatisfiable') {
        return reply
          .status(416)
          .header('content-range', `bytes */${size}`)
          .type('application/json')
          .send(
            distributionErrorBody(new DistributionError(416, 'RANGE_INVALID', `The blob has ${size} bytes.`)),
          );
      }
      if (range !== null) {
        const stream = await s.hosted.oci.readBlob(digest, size, range);
        return reply
          .status(206)
          .header('content-range', `bytes ${range.start}-${range.end}/${size}`)
          .header('content-length', String(range.end - range.start + 1))
          .send(stream);
      }
      const stream = await s.hosted.oci.readBlob(digest, size);
      return reply.header('content-length', String(size)).send(stream);
    }
    case 'DELETE': {
      const target = await open('delete');
      await s.hosted.oci.deleteBlob(target, digest);
      return reply.status(202).header('content-length', '0').send();
    }
  }
  throw unsupported(req);
}

async function uploads(
  s: AppServices,
  req: FastifyRequest,
  reply: FastifyReply,
  repository: string,
  id: string,
  open: Open,
) {
  const q = singleValues(req, ['mount', 'from', 'digest']);
  const closing = req.method === 'PUT' || (req.method === 'POST' && id === '');
  if (closing && q['digest'] !== undefined && !isDigest(q['digest'])) throw digestInvalid(q['digest']);
  const location = (uploadId: string) => `/v2/${repository}/blobs/uploads/${uploadId}`;
  const created = (digest: string) =>
    reply
      .status(201)
      .header('location', `/v2/${repository}/blobs/${digest}`)
      .header('docker-content-digest', digest)
      .header('content-length', '0')
      .send();
  const accepted = (uploadId: string, size: number, status = 202) =>
    reply
      .status(status)
      .header('location', location(uploadId))
      .header('docker-upload-uuid', uploadId)
      .header('range', `0-${Math.max(0, size - 1)}`)
      .header('content-length', '0')
      .send();
  if (id === '') {
    if (req.method !== 'POST') throw unsupported(req);
    const target = await open('push');
    if (
      q['mount'] !== undefined &&
      q['from'] !== undefined &&
      (await s.hosted.oci.mount(target, q['mount'], q['from']))
    ) {
      return created(q['mount']);
    }
    if (q['digest'] !== undefined) {
      const info = await s.hosted.oci.putBlob(target, q['digest'], bodyStream(req), declaredLength(req));
      return created(info.digest);
    }
    return accepted(await s.hosted.oci.startUpload(target, repository), 0);
  }
  switch (req.method) {
    case 'GET': {
      const target = await open('push');
      return accepted(id, await s.hosted.oci.uploadSize(target, repository, id), 204);
    }
    case 'PATCH': {
      const target = await open('push');
      const range = parseContentRange(req.headers['content-range']);
      if (range === 'invalid')
        throw new DistributionError(
          416,
          'BLOB_UPLOAD_INVALID',
          'Content-Range must be "<start>-<end>" (inclusive byte offsets).',
        );
      const size = await s.hosted.oci.appendChunk(
        target,
        repository,
        id,
        bodyStream(req),
        range,
        declaredLength(req),
      );
      return accepted(id, size);
    }
    case 'PUT': {
      const target = await open('push');
      const digest = q['digest'];
      if (digest === undefined)
        throw new DistributionError(
          400,
          'DIGEST_INVALID',
          'Close the upload with ?digest=sha256:<hex> of the whole blob.',
        );
      const info = await s.hosted.oci.finishUpload(
        target,
        repository,
        id,
        digest,
        bodyStream(req),
        declaredLength(req),
      );
      return created(info.digest);
    }
    case 'DELETE': {
      const target = await open('push');
      await s.hosted.oci.cancelUpload(target, repository, id);
      return reply.status(204).send();
    }
  }
  throw unsupported(req);
}

function sendPage(
  req: FastifyRequest,
  reply: FastifyReply,
  path: string,
  all: string[],
  body: (items: string[]) => unknown,
) {
  const q = singleValues(req, ['n', 'last']);
  let n: number | undefined;
  if (q['n'] !== undefined) {
    n = Number(q['n']);
    if (!/^\d+$/.test(q['n']) || !Number.isSafeInteger(n)) {
      throw new DistributionError(
        400,
        'UNSUPPORTED',
        `n must be a whole number, not "${q['n'].slice(0, 20)}".`,
      );
    }
  }
  const page = pageAfter(all, n, q['last'], MAX_PAGE);
  if (page.nextLast !== undefined)
    void reply.header('link', linkHeader(path, Math.min(n ?? MAX_PAGE, MAX_PAGE), page.nextLast));
  return reply.type('application/json').send(body(page.items));
}

/**
 * The query values a handler reads, each given at most once: a repeated key arrives as an array,
 * which no handler expects (`?from=a&from=b` was a TypeError, so a 500).
 */
function singleValues(req: FastifyRequest, keys: readonly string[]): Record<string, string | undefined> {
  const query = req.query as Record<string, string | string[] | undefined>;
  const values: Record<string, string | undefined> = {};
  for (const key of keys) {
    const value = query[key];
    if (Array.isArray(value))
      throw new DistributionError(400, 'UNSUPPORTED', `Give the query parameter "${key}" once.`);
    values[key] = value;
  }
  return values;
}

function unsupported(req: FastifyRequest): DistributionError {
  return new DistributionError(405, 'UNSUPPORTED', `${req.method} is not supported here.`);
}

const byteOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The scope a 401 challenge names, so a token client asks for the right one at once. */
function scopeOf(req: FastifyRequest): string | undefined {
  const path = req.url.split('?')[0] ?? '';
  if (path.startsWith('/v2/_catalog')) return 'registry:catalog:*';
  const parsed = parseRepositoryPath(path.replace(/^\/v2\//, ''));
  if (parsed === null) return undefined;
  // What distribution asks of a token: reads pull, deletes delete, every other write pull and push.
  const actions =
    req.method === 'GET' || req.method === 'HEAD' ? 'pull' : req.method === 'DELETE' ? 'delete' : 'pull,push';
  return `repository:${parsed.repository}:${actions}`;
}

/** Every error as the distribution spec's shape: ours map by status, with the closest code. */
function toDistributionError(error: unknown): DistributionError {
  if (error instanceof DistributionError) return error;
  if (error instanceof InsufficientScopeError) {
    // distribution's body for it: what the token lacks, one entry per action.
    const detail = parseScopes([error.scope]).flatMap((scope) =>
      scope.actions.map((action) => ({ Type: scope.type, Name: scope.name, Action: action })),
    );
    return new DistributionError(401, 'UNAUTHORIZED', error.message, detail);
  }
  if (error instanceof AppError) {
    const code =
      error.status === 401
        ? 'UNAUTHORIZED'
        : error.status === 403
          ? 'DENIED'
          : error.status === 404
            ? 'NAME_UNKNOWN'
            : error.status === 409
              ? 'DENIED'
              : error.status === 413
                ? 'SIZE_INVALID'
                : error.status === 429
                  ? 'TOOMANYREQUESTS'
                  : error.status === 503
                    ? 'UNAVAILABLE'
                    : error.code === 'digest_invalid'
                      ? 'DIGEST_INVALID'
                      : 'UNSUPPORTED';
    return new DistributionError(error.status, code, error.message);
  }
  const status = (error as { statusCode?: number }).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new DistributionError(status, 'UNSUPPORTED', (error as Error).message);
  }
  return new DistributionError(500, 'UNSUPPORTED', 'Something went wrong on the server.');
}
