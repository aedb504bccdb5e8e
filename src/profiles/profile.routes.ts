import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { AppServices } from '../app.services.js';
import { bearerSecurity, errorResponses } from '../http/api-shapes.js';
import { ProfileNameParam, ProfileVersionParam, TenantParam } from '../http/parameters.js';
import { bearerToken, requirePrincipal } from '../http/principal.js';
import type { Http } from '../http/types.js';
import { InvalidRequestError } from '../shared/errors.js';
import type { TenantContext } from './profile.service.js';
import {
  DiffQuery,
  ProfileCreateBody,
  ProfileDiff,
  ProfileList,
  ProfileListQuery,
  ProfilePlan,
  ProfileVersionView,
  ProfileView,
  ResolveQuery,
  VersionCreateBody,
  VersionSpecBody,
} from './profile.schema.js';

const PREFIX = '/api/v1/tenants/:t/profiles';
const TenantParams = Type.Object({ t: TenantParam });
const ProfileParams = Type.Object({ t: TenantParam, name: ProfileNameParam });
const VersionParams = Type.Object({ t: TenantParam, name: ProfileNameParam, version: ProfileVersionParam });
type Params = { t: string; name: string; version: string };

/**
 * A version's layers carry values of up to 1 MiB each: its writes take up to 16 MiB, so values that are
 * too large reach the service and are refused naming their layer rather than as a bare 413.
 */
const VERSION_BODY_LIMIT = 16 * 1024 * 1024;

/** Cluster profiles (SPEC §3): profiles, versions, publish, diff and the resolved pull plan. */
export function profileRoutes(app: Http, s: AppServices): void {
  const context = async (req: FastifyRequest): Promise<TenantContext> => {
    const principal = await requirePrincipal(s.auth, req);
    return { principal, scope: await s.tenants.enter(principal, (req.params as { t: string }).t) };
  };
  const p = (req: FastifyRequest): Params => req.params as Params;
  const doc = (summary: string, extra: Record<string, unknown>) => ({
    schema: { tags: ['profiles'], summary, security: bearerSecurity, ...extra },
  });

  app.get(
    PREFIX,
    doc('List cluster profiles with their versions', {
      params: TenantParams,
      querystring: ProfileListQuery,
      response: { 200: ProfileList, ...errorResponses },
    }),
    async (req) => s.profiles.list(await context(req), req.query as ProfileListQuery),
  );
  app.post(
    PREFIX,
    {
      bodyLimit: VERSION_BODY_LIMIT,
      ...doc('Create a cluster profile and its first draft version (1.0.0 unless given)', {
        params: TenantParams,
        body: ProfileCreateBody,
        response: { 201: ProfileVersionView, ...errorResponses },
      }),
    },
    async (req, reply) =>
      reply.status(201).send(await s.profiles.create(await context(req), req.body as ProfileCreateBody)),
  );
  app.get(
    `${PREFIX}/:name`,
    doc('One cluster profile with its versions', {
      params: ProfileParams,
      response: { 200: ProfileView, ...errorResponses },
    }),
    async (req) => s.profiles.get(await context(req), p(req).name),
  );
  app.delete(
    `${PREFIX}/:name`,
    doc('Delete a cluster profile and its versions (refused while anything uses it)', {
      params: ProfileParams,
      response: { 204: Type.Null(), ...errorResponses },
    }),
    async (req, reply) => {
      await s.profiles.remove(await context(req), p(req).name);
      return reply.status(204).send(null);
    },
  );
  app.post(
    `${PREFIX}/:name/versions`,
    {
      bodyLimit: VERSION_BODY_LIMIT,
      ...doc('Create a draft version: a clone of `from`, or fresh with the content given', {
        params: ProfileParams,
        body: VersionCreateBody,
        response: { 201: ProfileVersionView, ...errorResponses },
      }),
    },
    async (req, reply) =>
      reply
        .status(201)
        .send(await s.profiles.createVersion(await context(req), p(req).name, req.body as VersionCreateBody)),
  );
  app.get(
    `${PREFIX}/:name/versions/:version`,
    doc('One profile version: its layers (with update-available flags), variables and install order', {
      params: VersionParams,
      response: { 200: ProfileVersionView, ...errorResponses },
    }),
    async (req) => s.profiles.getVersion(await context(req), p(req).name, p(req).version),
  );
  app.put(
    `${PREFIX}/:name/versions/:version`,
    {
      bodyLimit: VERSION_BODY_LIMIT,
      ...doc("Replace a draft's content (409 for a published version)", {
        params: VersionParams,
        body: VersionSpecBody,
        response: { 200: ProfileVersionView, ...errorResponses },
      }),
    },
    async (req) =>
      s.profiles.putVersion(await context(req), p(req).name, p(req).version, req.body as VersionSpecBody),
  );
  app.delete(
    `${PREFIX}/:name/versions/:version`,
    doc('Delete a draft (409 for a published version)', {
      params: VersionParams,
      response: { 204: Type.Null(), ...errorResponses },
    }),
    async (req, reply) => {
      await s.profiles.deleteVersion(await context(req), p(req).name, p(req).version);
      return reply.status(204).send(null);
    },
  );
  app.post(
    `${PREFIX}/:name/versions/:version/publish`,
    doc('Publish a draft: resolve every constraint, record digests, check everything, freeze', {
      params: VersionParams,
      response: { 200: ProfileVersionView, ...errorResponses },
    }),
    async (req) => s.profiles.publish(await context(req), p(req).name, p(req).version),
  );
  app.get(
    `${PREFIX}/:name/diff`,
    doc('What changed between two versions', {
      params: ProfileParams,
      querystring: DiffQuery,
      response: { 200: ProfileDiff, ...errorResponses },
    }),
    async (req) => {
      const q = req.query as { from: string; to: string };
      return s.profiles.diff(await context(req), p(req).name, q.from, q.to);
    },
  );
  app.get(
    `${PREFIX}/:name/resolve`,
    doc('The pull plan of a published version (default: the newest); variables as var.NAME=value', {
      params: ProfileParams,
      querystring: ResolveQuery,
      response: { 200: ProfilePlan, 304: Type.Null(), ...errorResponses },
    }),
    async (req, reply) => {
      const { version, ...rest } = req.query as Record<string, string>;
      // An agent token reads the plans of its own cluster's profiles (SPEC §3); any other token is a user's.
      const token = bearerToken(req);
      const ctx = token.startsWith('cha_')
        ? await s.agents.resolveContext(token, p(req).t, p(req).name, s.hosted.baseUrl(req))
        : await context(req);
      const plan = await s.profiles.resolve(ctx, p(req).name, {
        ...(version === undefined ? {} : { version }),
        variables: variableQuery(rest),
        baseUrl: s.hosted.baseUrl(req),
      });
      void reply.header('etag', plan.etag).header('cache-control', 'private, no-cache');
      if (ifNoneMatch(req.headers['if-none-match'], plan.etag)) return reply.status(304).send();
      // The plan is serialized once by the planner (its bytes are what the ETag names): sent as is.
      return reply
        .type('application/json; charset=utf-8')
        .serializer((body) => body as string)
        .send(plan.body);
    },
  );
}

/** `var.NAME=value` query keys; any other key is refused, so a typo is not silently ignored. */
function variableQuery(query: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(query)) {
    if (!key.startsWith('var.') || key.length === 4) {
      throw new InvalidRequestError(
        `Unknown query parameter "${key.slice(0, 64)}": give version and var.<NAME>=<value>.`,
        [{ field: key.slice(0, 64), message: 'unknown' }],
      );
    }
    out[key.slice(4)] = value;
  }
  return out;
}

function ifNoneMatch(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header.split(',').some((t) => t.trim() === etag || t.trim() === '*');
}
