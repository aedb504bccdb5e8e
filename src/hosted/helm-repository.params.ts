import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { AppServices } from '../app.services.js';
import { ChartFileParam, ChartNameParam, ChartVersionParam, TenantParam } from '../http/parameters.js';
import type { HostedAction, HostedTarget } from './hosted-access.js';

/*
 * What the classic and the ChartMuseum routes under /helm share: their path parameters and how a
 * request opens its tenant's hosted registry. helm-repository.routes.ts mounts both route files.
 */

export type SlugParams = { t: string };

/** Path parameters of the /helm routes: checked before a handler runs (404 when they fail). */
export const helmParams = {
  slug: Type.Object({ t: TenantParam }),
  file: Type.Object({ t: TenantParam, file: ChartFileParam }),
  chart: Type.Object({ t: TenantParam, name: ChartNameParam }),
  // ChartMuseum's `latest` stands for the newest release.
  version: Type.Object({
    t: TenantParam,
    name: ChartNameParam,
    version: Type.Union([ChartVersionParam, Type.Literal('latest')], { title: 'Chart version' }),
  }),
};

/** The caller's hosted registry of `t`, opened for `action` (401 / 403 / 404 otherwise). */
export async function openHosted(
  s: AppServices,
  req: FastifyRequest,
  slug: string,
  action: HostedAction,
): Promise<HostedTarget> {
  const principal = await s.hosted.access.caller(req.headers.authorization, req.ip);
  return s.hosted.access.open(principal, slug, action);
}
