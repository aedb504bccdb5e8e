import { Busboy, type BusboyFileStream, type BusboyInstance } from '@fastify/busboy';
import type { FastifyRequest } from 'fastify';
import { InvalidRequestError, PayloadTooLargeError } from '../shared/errors.js';
import { bodyStream, declaredLength, readBody } from './protocol-http.js';

/** A ChartMuseum upload: the archive and/or its provenance file. */
export interface ChartUploadBody {
  chart: Buffer | null;
  prov: Buffer | null;
}

/**
 * Reads `POST /api/charts` as ChartMuseum does (research/protocols.md d.2): multipart form fields
 * `chart` and `prov` (any other field is ignored), or the raw archive as the body. Files stop at their
 * limit; a multipart body is bounded as a whole too, so extra parts cannot grow it.
 */
export async function readChartUpload(
  req: FastifyRequest,
  limits: { maxChartBytes: number; maxProvenanceBytes: number },
): Promise<ChartUploadBody> {
  const type = String(req.headers['content-type'] ?? '');
  if (!/^multipart\/form-data/i.test(type)) {
    return { chart: await readBody(req, limits.maxChartBytes, 'chart archive'), prov: null };
  }
  const maxTotal = limits.maxChartBytes + limits.maxProvenanceBytes + 64 * 1024;
  const length = declaredLength(req);
  if (length !== null && length > maxTotal) {
    throw new PayloadTooLargeError(`The upload is larger than the limit of ${maxTotal} bytes.`);
  }
  return new Promise<ChartUploadBody>((resolve, reject) => {
    const found: ChartUploadBody = { chart: null, prov: null };
    const pending: Promise<void>[] = [];
    let failed = false;
    const fail = (err: Error): void => {
      if (failed) return;
      failed = true;
      source.unpipe(busboy);
      reject(err);
    };
    let busboy: BusboyInstance;
    try {
      busboy = Busboy({
        headers: { ...req.headers, 'content-type': type },
        limits: { files: 2, fields: 20, parts: 22, fileSize: limits.maxChartBytes + 1, fieldSize: 1024 },
      });
    } catch (err) {
      reject(new InvalidRequestError(`The multipart body cannot be read: ${(err as Error).message}.`));
      return;
    }
    const source = bodyStream(req);
    busboy.on('file', (field: string, stream: BusboyFileStream) => {
      if (field !== 'chart' && field !== 'prov') {
        stream.resume();
        return;
      }
      const key: keyof ChartUploadBody = field;
      const max = field === 'chart' ? limits.maxChartBytes : limits.maxProvenanceBytes;
      const chunks: Buffer[] = [];
      let size = 0;
      pending.push(
        new Promise<void>((done) => {
          stream.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > max) {
              fail(new PayloadTooLargeError(`The ${field} file is larger than the limit of ${max} bytes.`));
              stream.resume();
              return;
            }
            chunks.push(chunk);
          });
          stream.on('end', () => {
            found[key] = Buffer.concat(chunks);
            done();
          });
        }),
      );
    });
    busboy.on('error', (err: unknown) =>
      fail(
        new InvalidRequestError(
          `The multipart body cannot be read: ${String((err as Error).message ?? err)}.`,
        ),
      ),
    );
    busboy.on('finish', () => {
      void Promise.all(pending).then(() => {
        if (failed) return;
        if (found.chart === null && found.prov === null) {
          reject(
            new InvalidRequestError('no package or provenance file found in form fields chart and prov'),
          );
        } else resolve(found);
      });
    });
    let total = 0;
    source.on('data', (chunk: Buffer) => {
      total += chunk.length;
      if (total > maxTotal)
        fail(new PayloadTooLargeError(`The upload is larger than the limit of ${maxTotal} bytes.`));
    });
    source.on('error', (err) => fail(err));
    source.pipe(busboy);
  });
}
