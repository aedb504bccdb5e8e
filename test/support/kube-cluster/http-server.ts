import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import yaml from 'js-yaml';
import { apiGroup, apiGroupList, apiResourceList, apiVersions, SERVER_VERSION } from './discovery.js';
import { openApiV3 } from './openapi.js';
import { decodeProtobufObject } from './protobuf.js';
import type { KubeObject } from './object-store.js';
import { findByPath, groupVersion, type ResourceType } from './resources.js';
import { PATCH_CONTENT_TYPES, type ResourceApi, type WriteOptions } from './rest.js';
import { errors, KubeApiError } from './status.js';
import { toTable } from './table.js';
import { authorize, type KubeUser, type Verb } from './users.js';

/*
 * HTTPS, authentication, routing and content types in front of ResourceApi. Bodies may be JSON, YAML
 * or protobuf (client-go's typed clients); answers are always JSON (clients ask for
 * `application/vnd.kubernetes.protobuf, application/json` and take either), or a Table when kubectl
 * asks for one.
 */

export interface LoggedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  contentType: string;
  accept: string;
  userAgent: string;
  /** The authenticated user's name, or '' when the token was missing or unknown. */
  user: string;
  status: number;
  body: Buffer;
}

export interface HttpFrontOptions {
  api: ResourceApi;
  users: () => readonly KubeUser[];
  tls: { key: string; cert: string };
  log: LoggedRequest[];
  /** Requests to hold unanswered (see KubeCluster.hang). */
  hangs: HangRule[];
  /** Answers to replace (see KubeCluster.intercept). */
  intercepts: InterceptRule[];
}

/** A reply as sent: HTTP status and JSON body. */
export interface InterceptedReply {
  status: number;
  body: unknown;
}

/** Returns the reply to send instead of `reply`, or undefined to leave it. */
export type InterceptRule = (request: LoggedRequest, reply: InterceptedReply) => InterceptedReply | undefined;

/** Holds the requests it matches until released; one whose client went away is then dropped unserved. */
export interface HangRule {
  match: (request: { method: string; path: string }) => boolean;
  arrived: () => void;
  released: Promise<void>;
  release: () => void;
}

const MAX_BODY = 16 * 1024 * 1024;
const PUBLIC_PATHS = new Set(['/version', '/healthz', '/livez', '/readyz']);

interface Reply {
  status: number;
  body: unknown;
  contentType?: string;
}

interface ResourcePath {
  type: ResourceType;
  namespace?: string;
  name?: string;
  subresource?: string;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw errors.badRequest(`request body larger than ${MAX_BODY} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function parseBody(body: Buffer, contentType: string): unknown {
  if (body.length === 0) return undefined;
  const mediaType = contentType.split(';')[0]!.trim().toLowerCase();
  if (mediaType === 'application/vnd.kubernetes.protobuf') return decodeProtobufObject(body);
  const text = body.toString('utf8');
  try {
    if (mediaType === 'application/apply-patch+yaml' || mediaType === 'application/yaml')
      return yaml.load(text);
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw errors.badRequest(`the request body is not valid ${mediaType}: ${(err as Error).message}`);
  }
}

/** Splits `/api/v1/...` and `/apis/{group}/{version}/...` into a resource, namespace, name and subresource. */
function parseResourcePath(segments: string[]): ResourcePath | undefined {
  let group: string;
  let version: string;
  let rest: string[];
  if (segments[0] === 'api' && segments.length >= 2) {
    [group, version, rest] = ['', segments[1]!, segments.slice(2)];
  } else if (segments[0] === 'apis' && segments.length >= 3) {
    [group, version, rest] = [segments[1]!, segments[2]!, segments.slice(3)];
  } else return undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    const type = findByPath(group, version, rest[2]!);
    if (type?.namespaced && rest.length <= 5) {
      return {
        type,
        namespace: rest[1]!,
        ...(rest[3] ? { name: rest[3] } : {}),
        ...(rest[4] ? { subresource: rest[4] } : {}),
      };
    }
  }
  const type = findByPath(group, version, rest[0] ?? '');
  if (!type || rest.length > 3 || (type.namespaced && rest.length > 1)) return undefined;
  return { type, ...(rest[1] ? { name: rest[1] } : {}), ...(rest[2] ? { subresource: rest[2] } : {}) };
}

function wantsTable(accept: string): boolean {
  return accept.split(',').some((part) => /;\s*as=Table/.test(part) && /g=meta\.k8s\.io/.test(part));
}

export class KubeHttpFront {
  private readonly server: Server;
  private readonly openapi = openApiV3();

  constructor(private readonly options: HttpFrontOptions) {
    this.server = createServer({ key: options.tls.key, cert: options.tls.cert }, (req, res) => {
      void this.handle(req, res);
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `https://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', `https://${req.headers.host ?? '127.0.0.1'}`);
    const entry: LoggedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      contentType: req.headers['content-type'] ?? '',
      accept: req.headers.accept ?? '',
      userAgent: req.headers['user-agent'] ?? '',
      user: '',
      status: 0,
      body: Buffer.alloc(0),
    };
    const hang = this.options.hangs.find((h) => h.match(entry));
    if (hang) {
      hang.arrived();
      await hang.released;
      // A client killed while it waited never sees an answer, and its request never takes effect.
      if (req.socket.destroyed) return;
    }
    let reply: Reply;
    try {
      entry.body = await readBody(req);
      reply = this.route(entry, url, req.headers.authorization);
    } catch (err) {
      const error =
        err instanceof KubeApiError
          ? err
          : new KubeApiError(
              500,
              'InternalError',
              `internal error in the test cluster: ${(err as Error).stack}`,
            );
      reply = { status: error.code, body: error.toStatus() };
    }
    for (const rule of this.options.intercepts) {
      const replaced = rule(entry, { status: reply.status, body: reply.body });
      if (replaced) reply = { status: replaced.status, body: replaced.body };
    }
    entry.status = reply.status;
    this.options.log.push(entry);
    res.writeHead(reply.status, { 'content-type': reply.contentType ?? 'application/json' });
    res.end(JSON.stringify(reply.body));
  }

  private authenticate(entry: LoggedRequest, header: string | undefined): KubeUser {
    const token = /^Bearer\s+(\S+)$/i.exec(header ?? '')?.[1];
    const user = token ? this.options.users().find((u) => u.token === token) : undefined;
    if (!user) throw errors.unauthorized();
    entry.user = user.name;
    return user;
  }

  private route(entry: LoggedRequest, url: URL, authorization: string | undefined): Reply {
    const path = url.pathname.replace(/\/+$/, '') || '/';
    if (path === '/version') return { status: 200, body: SERVER_VERSION };
    if (PUBLIC_PATHS.has(path)) return { status: 200, body: 'ok', contentType: 'text/plain' };
    // Unknown paths are 404 only for authenticated users, as on a real server.
    const user = this.authenticate(entry, authorization);
    const segments = path.split('/').filter(Boolean);
    const discovery = this.discovery(segments, url);
    if (discovery) {
      if (entry.method !== 'GET') throw errors.methodNotAllowed(`${entry.method} is not allowed on ${path}`);
      return { status: 200, body: discovery };
    }
    const target = parseResourcePath(segments);
    if (!target) throw errors.pathNotFound();
    return this.resource(entry, url, user, target);
  }

  private discovery(segments: string[], url: URL): object | undefined {
    const path = segments.join('/');
    if (path === 'api') return apiVersions(url.host);
    if (path === 'apis') return apiGroupList();
    if (segments[0] === 'api' && segments.length === 2) return apiResourceList('', segments[1]!);
    if (segments[0] === 'apis' && segments.length === 2) return apiGroup(segments[1]!);
    if (segments[0] === 'apis' && segments.length === 3) return apiResourceList(segments[1]!, segments[2]!);
    if (path === 'openapi/v3') return this.openapi.index;
    if (segments[0] === 'openapi' && segments[1] === 'v3')
      return this.openapi.documents.get(segments.slice(2).join('/'));
    return undefined;
  }

  private resource(entry: LoggedRequest, url: URL, user: KubeUser, target: ResourcePath): Reply {
    const { type, namespace, name, subresource } = target;
    const api = this.options.api;
    const q = url.searchParams;
    if (subresource !== undefined && subresource !== 'status') throw errors.pathNotFound();
    const verb = this.verbOf(entry.method, name, q);
    authorize(user, verb, type, namespace, name);
    const write: WriteOptions = {
      manager: q.get('fieldManager') ?? (entry.userAgent.split('/')[0] || 'unknown'),
      dryRun: q.getAll('dryRun').includes('All'),
    };
    const table = wantsTable(entry.accept);
    const body = () => parseBody(entry.body, entry.contentType);
    switch (verb) {
      case 'list': {
        const list = api.list(type, namespace, {
          labelSelector: q.get('labelSelector'),
          fieldSelector: q.get('fieldSelector'),
          limit: q.get('limit'),
          continue: q.get('continue'),
        });
        if (table) return this.tableReply(type, list.items, list.metadata);
        return { status: 200, body: { kind: `${type.kind}List`, apiVersion: groupVersion(type), ...list } };
      }
      case 'get': {
        const object = api.get(type, namespace, name!);
        return table
          ? this.tableReply(type, [object], { resourceVersion: object.metadata.resourceVersion })
          : { status: 200, body: object };
      }
      case 'create':
        return { status: 201, body: api.create(type, namespace, body(), write) };
      case 'update':
        return { status: 200, body: api.update(type, namespace, name!, body(), subresource, write) };
      case 'patch': {
        const patchType = PATCH_CONTENT_TYPES[entry.contentType.split(';')[0]!.trim().toLowerCase()];
        if (!patchType) {
          throw errors.unsupportedMediaType(
            `the body of the request was in an unknown format - accepted media types include: ${Object.keys(PATCH_CONTENT_TYPES).join(', ')}`,
          );
        }
        if (patchType === 'apply' && !q.get('fieldManager')) {
          throw errors.badRequest(
            'PATCH, application/apply-patch+yaml: fieldManager is required for apply requests',
          );
        }
        const { object, created } = api.patch(type, namespace, name!, patchType, body(), subresource, write);
        return { status: created ? 201 : 200, body: object };
      }
      case 'delete': {
        const options = body() ?? {};
        if (write.dryRun) (options as { dryRun?: string[] }).dryRun = ['All'];
        return { status: 200, body: api.delete(type, namespace, name!, options) };
      }
    }
  }

  private verbOf(method: string, name: string | undefined, q: URLSearchParams): Verb {
    if (q.get('watch') === 'true' || q.get('watch') === '1') {
      throw errors.methodNotAllowed(
        'the Charthouse test cluster does not serve watches (see test/support/kube-cluster/index.ts)',
      );
    }
    const verbs: Record<string, Verb | undefined> = name
      ? { GET: 'get', PUT: 'update', PATCH: 'patch', DELETE: 'delete' }
      : { GET: 'list', POST: 'create' };
    const verb = verbs[method];
    if (!verb) throw errors.methodNotAllowed(`${method} is not supported on this path`);
    return verb;
  }

  private tableReply(type: ResourceType, items: KubeObject[], metadata: Record<string, unknown>): Reply {
    return {
      status: 200,
      body: toTable(type.kind, items, metadata),
      contentType: 'application/json;as=Table;v=v1;g=meta.k8s.io',
    };
  }
}
