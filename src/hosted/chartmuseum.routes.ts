import type { FastifyRequest } from 'fastify';
import type { AppServices } from '../app.services.js';
import type { Http } from '../http/types.js';
import { parseChartVersion } from '../protocol/helm/semver-sort.js';
import { InvalidRequestError, NotFoundError } from '../shared/errors.js';
import { helmParams, openHosted, type SlugParams } from './helm-repository.params.js';
import type { ChartVersionJson } from './chart-version-json.js';
import { readBody } from './protocol-http.js';
import { readChartUpload } from './upload-body.js';

type NameParams = SlugParams & { name: string };
type VersionParams = NameParams & { version: string };

/**
 * ChartMuseum's API for `helm cm-push` and curl (research/protocols.md d): upload (201, 409 on an
 * existing version unless an admin forces it), list, show, delete. The force flag is ChartMuseum's:
 * the `force` query key present, whatever its value.
 */
export function chartmuseumRoutes(app: Http, s: AppServices): void {
  const upload = async (req: FastifyRequest, t: string, provOnly: boolean): Promise<{ saved: true }> => {
    const force = Object.prototype.hasOwnProperty.call(req.query ?? {}, 'force');
    const target = await openHosted(s, req, t, force ? 'delete' : 'push');
    const body = provOnly
      ? { chart: null, prov: await readProvBody(req, s) }
      : await readChartUpload(req, s.hosted.charts.limits);
    await s.hosted.saveUpload(target, s.hosted.baseUrl(req), body, force);
    return { saved: true };
  };

  app.post<{ Params: SlugParams }>(
    '/:t/api/charts',
    { schema: { params: helmParams.slug } },
    async (req, reply) => {
      return reply.status(201).send(await upload(req, req.params.t, false));
    },
  );
  app.post<{ Params: SlugParams }>(
    '/:t/api/prov',
    { schema: { params: helmParams.slug } },
    async (req, reply) => {
      return reply.status(201).send(await upload(req, req.params.t, true));
    },
  );

  app.get<{ Params: SlugParams; Querystring: { offset?: string; limit?: string } }>(
    '/:t/api/charts',
    { schema: { params: helmParams.slug } },
    async (req) => {
      const target = await openHosted(s, req, req.params.t, 'pull');
      const offset = pagingNumber(req.query.offset, 0, 'offset');
      const limit = pagingNumber(req.query.limit, Number.MAX_SAFE_INTEGER, 'limit');
      const all = await s.hosted.chartVersions(target);
      const names = [...all.keys()].sort();
      const result: Record<string, ChartVersionJson[]> = {};
      for (const name of names.slice(offset, offset + limit)) result[name] = all.get(name)!;
      return result;
    },
  );

  app.get<{ Params: NameParams }>(
    '/:t/api/charts/:name',
    { schema: { params: helmParams.chart } },
    async (req) => {
      const target = await openHosted(s, req, req.params.t, 'pull');
      const versions = (await s.hosted.chartVersions(target)).get(req.params.name);
      if (!versions) throw new ChartMuseumNotFound('chart not found');
      return versions;
    },
  );

  app.get<{ Params: VersionParams }>(
    '/:t/api/charts/:name/:version',
    { schema: { params: helmParams.version } },
    async (req) => {
      const target = await openHosted(s, req, req.params.t, 'pull');
      const versions = (await s.hosted.chartVersions(target)).get(req.params.name);
      if (!versions) throw new ChartMuseumNotFound('no chart name found');
      const wanted = req.params.version;
      const found =
        wanted === 'latest'
          ? versions.find((v) => isRelease(v.version))
          : versions.find((v) => v.version === wanted);
      if (!found) throw new ChartMuseumNotFound(`no chart version found for ${req.params.name}-${wanted}`);
      return found;
    },
  );

  app.delete<{ Params: VersionParams }>(
    '/:t/api/charts/:name/:version',
    { schema: { params: helmParams.version } },
    async (req) => {
      const target = await openHosted(s, req, req.params.t, 'delete');
      const deleted = await s.hosted.deleteVersion(target, req.params.name, req.params.version);
      if (!deleted)
        throw new ChartMuseumNotFound(`no chart version found for ${req.params.name}-${req.params.version}`);
      return { deleted: true };
    },
  );
}

/** A 404 with ChartMuseum's own wording (cm-push and scripts match on it). */
class ChartMuseumNotFound extends NotFoundError {
  constructor(message: string) {
    super('Chart', '');
    this.message = message;
  }
}

function readProvBody(req: FastifyRequest, s: AppServices): Promise<Buffer> {
  return readBody(req, s.hosted.charts.limits.maxProvenanceBytes, 'provenance file');
}

function pagingNumber(value: string | undefined, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) {
    throw new InvalidRequestError(`${what} must be a whole number, not "${value.slice(0, 20)}".`);
  }
  return n;
}

/** ChartMuseum's `latest`: the newest version that is not a pre-release. */
function isRelease(version: string): boolean {
  const parsed = parseChartVersion(version);
  return parsed.ok && parsed.version.prerelease.length === 0;
}
