import { parentPort } from 'node:worker_threads';
import { normalizeIndex } from '../protocol/helm/chart-version.js';
import { parseHelmIndex } from '../protocol/helm/index-document.js';
import { AppError } from '../shared/errors.js';
import { toCatalogRow } from './catalog-row.js';
import type { ParseReply, ParseRequest } from './index-parse.js';

// Runs in a worker thread: a 50 MiB index takes the better part of a second of CPU to parse, which
// must not stall the API.
parentPort?.on('message', (request: ParseRequest) => {
  let reply: ParseReply;
  try {
    const doc = parseHelmIndex(
      Buffer.from(request.body.buffer, request.body.byteOffset, request.body.byteLength),
    );
    // normalizeIndex already carries the parse warnings at the head of its list (under one cap).
    const { versions, warnings } = normalizeIndex(doc, new URL(request.repositoryUrl));
    reply = {
      ok: true,
      rows: versions.map(toCatalogRow),
      warnings,
    };
  } catch (err) {
    reply =
      err instanceof AppError
        ? {
            ok: false,
            code: err.code,
            message: err.message,
            failure: 'failure' in err ? String(err.failure) : null,
          }
        : { ok: false, code: 'parse_failed', message: (err as Error).message, failure: null };
  }
  parentPort?.postMessage(reply);
});
