import { Worker, type WorkerOptions } from 'node:worker_threads';
import type { NewChartVersion } from '../catalog/chart-version.repository.js';
import type { SyncWarning } from '../protocol/helm/chart-version.js';
import { UpstreamError, type UpstreamFailure } from '../shared/errors.js';

export interface ParseRequest {
  body: Uint8Array;
  repositoryUrl: string;
}

export type ParseReply =
  | { ok: true; rows: NewChartVersion[]; warnings: SyncWarning[] }
  | { ok: false; code: string; message: string; failure: string | null };

// Built, the worker is the sibling .js file. Under tsx (tests) it is a .ts file, and Node 20 does not
// carry tsx's loader into worker threads: a small bootstrap registers it first.
const FROM_SOURCE = import.meta.url.endsWith('.ts');
const WORKER_URL = new URL(`./index-parse.worker${FROM_SOURCE ? '.ts' : '.js'}`, import.meta.url);

function startWorker(options: WorkerOptions): Worker {
  if (!FROM_SOURCE) return new Worker(WORKER_URL, options);
  const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(WORKER_URL.href)}); });`;
  return new Worker(bootstrap, { ...options, eval: true });
}

/**
 * Parse and normalize a classic index in a worker thread, so the API keeps answering while a big index
 * is parsed, and a parser blow-up (memory, stack) ends the worker, not the server. One worker per
 * parse: syncs are minutes apart, and a fresh heap returns its memory when the worker exits.
 */
export function parseIndexInWorker(
  body: Buffer,
  repositoryUrl: URL,
  options: { maxHeapMb?: number; timeoutMs?: number } = {},
): Promise<{ rows: NewChartVersion[]; warnings: SyncWarning[] }> {
  return new Promise((resolve, reject) => {
    const worker = startWorker({ resourceLimits: { maxOldGenerationSizeMb: options.maxHeapMb ?? 1024 } });
    const timer = setTimeout(() => {
      void worker.terminate();
      reject(new UpstreamError('not_a_helm_repository', 'Parsing the repository index took too long.'));
    }, options.timeoutMs ?? 60_000);
    const done = (): void => {
      clearTimeout(timer);
      void worker.terminate();
    };
    worker.once('message', (reply: ParseReply) => {
      done();
      if (reply.ok) resolve({ rows: reply.rows, warnings: reply.warnings });
      else
        reject(
          new UpstreamError(
            (reply.failure as UpstreamFailure | null) ?? 'not_a_helm_repository',
            reply.message,
          ),
        );
    });
    worker.once('error', (err) => {
      done();
      reject(
        new UpstreamError(
          'not_a_helm_repository',
          `The repository index could not be parsed: ${err.message}`,
        ),
      );
    });
    const request: ParseRequest = {
      body: new Uint8Array(body.buffer, body.byteOffset, body.byteLength),
      repositoryUrl: repositoryUrl.toString(),
    };
    worker.postMessage(request);
  });
}
