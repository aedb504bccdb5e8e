import type { AppServices } from '../app.services.js';
import type { Http } from '../http/types.js';
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
      const index = await s.hosted.indexYaml(target);
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
      const file = await s.hosted.chartFile(target, req.params.file);
      void reply.header('etag', file.etag).header('cache-control', 'no-cache');
      if (ifNoneMatch(req.headers['if-none-match'], file.etag)) return reply.status(304).send();
      const stream = await file.open();
      return reply.type(file.contentType).header('content-length', String(file.size)).send(stream);
    },
  );
}

function ifNoneMatch(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header.split(',').some((v) => v.trim() === etag || v.trim() === `W/${etag}` || v.trim() === '*');
}
