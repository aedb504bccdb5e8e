import type { AppServices } from '../app.services.js';
import type { Http } from '../http/types.js';
import { NotFoundError } from '../shared/errors.js';
import { helmParams, openHosted, type SlugParams } from './helm-repository.params.js';

/**
 * The classic chart repository (`helm repo add t <url>/helm/t`): index.yaml generated from the database
 * with a strong ETag (304 on If-None-Match) and gzip when asked, and the archives and provenance files.
 */
export function classicRoutes(app: Http, s: AppServices): void {
  app.get<{ Params: SlugParams }>(
    '/:t/index.yaml',
    { schema: { params: helmParams.slug } },
    async (req, reply) => {
      const target = await openHosted(s, req, req.params.t, 'pull');
      const index = await s.hosted.index.get(target.registry, target.slug);
      void reply
        .header('etag', index.etag)
        .header('cache-control', 'no-cache')
        .header('vary', 'Accept-Encoding');
      if (ifNoneMatch(req.headers['if-none-match'], index.etag)) return reply.status(304).send();
      void reply.type('application/x-yaml');
      if (/\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
        return reply.header('content-encoding', 'gzip').send(index.gzip);
      }
      return reply.send(index.body);
    },
  );

  app.get<{ Params: SlugParams & { file: string } }>(
    '/:t/charts/:file',
    { schema: { params: helmParams.file } },
    async (req, reply) => {
      const target = await openHosted(s, req, req.params.t, 'pull');
      const { file } = req.params;
      const provenance = file.endsWith('.tgz.prov');
      const archive = provenance ? file.slice(0, -'.prov'.length) : file;
      const chart = archive.endsWith('.tgz')
        ? await s.hosted.repo.chartByFile(target.registry.id, archive)
        : undefined;
      const digest = provenance ? chart?.prov_digest : chart?.chart_digest;
      const size = provenance ? chart?.prov_size : chart?.chart_size;
      if (!chart || !digest || size === null || size === undefined)
        throw new NotFoundError('Chart file', file);
      const etag = `"${digest}"`;
      void reply.header('etag', etag).header('cache-control', 'no-cache');
      if (ifNoneMatch(req.headers['if-none-match'], etag)) return reply.status(304).send();
      const stream = await s.hosted.blobs.get(digest);
      if (stream === null) throw new NotFoundError('Chart file', file);
      return reply
        .type(provenance ? 'application/pgp-signature' : 'application/x-tar')
        .header('content-length', String(size))
        .send(stream);
    },
  );
}

function ifNoneMatch(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header.split(',').some((v) => v.trim() === etag || v.trim() === `W/${etag}` || v.trim() === '*');
}
