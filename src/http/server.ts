import { agentRoutes } from '../clusters/agent.routes.js';
import { clusterRoutes } from '../clusters/cluster.routes.js';
import { discoveryRoutes } from '../discovery/discovery.routes.js';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { LogController, type FastifyBaseLogger } from 'fastify';
import type { AppServices } from '../app.services.js';
import { catalogRoutes } from '../catalog/catalog.routes.js';
import { iconRoutes } from '../icons/icon.routes.js';
import { helmRepositoryRoutes } from '../hosted/helm-repository.routes.js';
import { hostedRoutes } from '../hosted/hosted.routes.js';
import { ociRoutes } from '../hosted/oci.routes.js';
import { authRoutes } from '../identity/auth.routes.js';
import { profileRoutes } from '../profiles/profile.routes.js';
import { registryRoutes } from '../registries/registry.routes.js';
import { NotFoundError } from '../shared/errors.js';
import { syncRoutes } from '../sync/sync.routes.js';
import { meRoutes } from '../tenants/me.routes.js';
import { tenantRoutes } from '../tenants/tenant.routes.js';
import { consoleRoutes, findConsoleRoot } from './console.routes.js';
import { errorHandler } from './error-handler.js';
import type { Metrics } from './metrics.js';
import { operationsRoutes } from './operations.routes.js';
import { MAX_PATH_PARAMETER_LENGTH } from './parameters.js';
import { frameworkErrors, registerRequestGuard } from './request-guard.js';
import type { Http } from './types.js';

export const API_VERSION = '0.1.0';

/** A registered route: its methods, URL template and declared query keys. */
export interface RouteRecord {
  methods: string[];
  url: string;
  /** Keys of the route's querystring schema; empty when it has none (the protocol routes). */
  query: string[];
}

const routeTables = new WeakMap<Http, RouteRecord[]>();

/**
 * Every route the server registered, as Fastify saw it. The path-parameter test walks these, so a
 * route added later is probed with hostile parameters without anyone listing it.
 */
export function registeredRoutes(app: Http): readonly RouteRecord[] {
  return routeTables.get(app) ?? [];
}

/** Build the HTTP server: plugins, the one error handler, and every capability's routes. */
export async function buildServer(s: AppServices, metrics: Metrics): Promise<Http> {
  const app = Fastify({
    loggerInstance: s.logger as FastifyBaseLogger,
    // Fastify's two lines per request are replaced by one at onResponse (below).
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: s.config.apiBodyLimitBytes,
    trustProxy: s.config.trustProxy,
    // Bodies are validated as sent: no silent dropping of unknown fields, no type coercion. Every
    // invalid field is reported at once (error-handler.ts lists them, one per field, capped), so a form
    // is not corrected one field per round trip; bodies are size-limited, which bounds the work.
    ajv: {
      customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: true },
    },
    // A request that reaches a closing server on a connection it already had is served, not refused
    // with 503: a rolling restart must not fail requests. Its response closes the connection (below).
    return503OnClosing: false,
    routerOptions: { maxParamLength: MAX_PATH_PARAMETER_LENGTH },
    frameworkErrors,
  }).withTypeProvider<TypeBoxTypeProvider>();
  registerRequestGuard(app);

  const routes: RouteRecord[] = [];
  routeTables.set(app, routes);
  app.addHook('onRoute', (route) => {
    const query = (route.schema?.querystring as { properties?: Record<string, unknown> } | undefined)
      ?.properties;
    routes.push({
      methods: ([] as string[]).concat(route.method),
      url: route.url,
      query: Object.keys(query ?? {}),
    });
  });

  // Requests in flight, for the drain's account of what it had to cut; the response's close counts a
  // client that went away as well as an answer.
  app.addHook('onRequest', async (_req, reply) => {
    s.lifecycle.inFlight += 1;
    reply.raw.once('close', () => (s.lifecycle.inFlight -= 1));
  });
  // Draining: each response ends its keep-alive connection, so clients reconnect to another server.
  app.addHook('onSend', async (_req, reply) => {
    if (s.lifecycle.draining) reply.header('connection', 'close');
  });

  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    const labels = { method: req.method, route, status: String(reply.statusCode) };
    metrics.requests.inc(labels);
    metrics.requestDuration.observe(labels, reply.elapsedTime / 1000);
    // One line per request at the boundary; the URL is the route template, so no ids or queries leak.
    req.log.info(
      { method: req.method, route, status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      'request',
    );
  });

  if (!s.config.trustProxy) warnOnceAboutForwardedFor(app);

  app.setErrorHandler(errorHandler);
  const console = await consoleRoutes(app, findConsoleRoot());
  app.setNotFoundHandler((req, reply) => {
    // Client-side routes of the console (a reload on /t/acme/settings/registries) get the app.
    if (console.serveIndex(req, reply)) return;
    errorHandler(new NotFoundError('Path', `${req.method} ${req.url.split('?')[0]}`), req, reply);
  });

  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Charthouse API',
        version: API_VERSION,
        description: 'Multi-tenant Helm registry manager',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs' });

  operationsRoutes(app, s, metrics);
  authRoutes(app, s);
  tenantRoutes(app, s);
  meRoutes(app, s);
  registryRoutes(app, s);
  syncRoutes(app, s);
  catalogRoutes(app, s);
  iconRoutes(app, s);
  hostedRoutes(app, s);
  profileRoutes(app, s);
  clusterRoutes(app, s);
  agentRoutes(app, s);
  discoveryRoutes(app, s);
  await helmRepositoryRoutes(app, s);
  await ociRoutes(app, s);
  return app;
}

/**
 * Behind a proxy that is not trusted, every request seems to come from the proxy's address, so all
 * clients share one sign-in limit (and one client can lock everyone out). Said once, not per request.
 */
function warnOnceAboutForwardedFor(app: Http): void {
  let warned = false;
  app.addHook('onRequest', async (req) => {
    if (warned || req.headers['x-forwarded-for'] === undefined) return;
    warned = true;
    req.log.warn(
      { proxy: req.ip },
      'requests carry X-Forwarded-For but CHARTHOUSE_TRUST_PROXY is off: every client behind this proxy shares one address, so they share one sign-in rate limit; set CHARTHOUSE_TRUST_PROXY=true if the proxy is yours',
    );
  });
}
