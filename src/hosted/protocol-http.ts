import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import type { Http } from '../http/types.js';
import { AppError, PayloadTooLargeError } from '../shared/errors.js';

/**
 * What the Helm and OCI protocol routes share: bodies are taken as raw streams (never parsed or
 * buffered by Fastify), read with a limit that is checked against Content-Length before a byte is
 * read and counted as bytes arrive, so a 2 GB body is refused without being buffered.
 */
export function rawBodies(app: Http): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, payload, done) => done(null, payload));
}

/** The request body as a stream (empty for a request without one). */
export function bodyStream(req: FastifyRequest): Readable {
  return (req.body as Readable | undefined) ?? req.raw;
}

/** Content-Length when the client sent one, else null (chunked). */
export function declaredLength(req: FastifyRequest): number | null {
  const header = req.headers['content-length'];
  if (header === undefined) return null;
  const n = Number(header);
  return Number.isSafeInteger(n) && n >= 0 ? n : null;
}

/** Reads a whole body of at most `max` bytes. */
export async function readBody(req: FastifyRequest, max: number, what: string): Promise<Buffer> {
  const length = declaredLength(req);
  if (length !== null && length > max) throw tooLarge(what, max);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of bodyStream(req) as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) throw tooLarge(what, max);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

function tooLarge(what: string, max: number): PayloadTooLargeError {
  return new PayloadTooLargeError(`The ${what} is larger than the limit of ${max} bytes.`);
}

/**
 * Headers every protocol error reply needs: the connection is dropped when the client is still
 * sending a body we will not read (a refused 2 GB upload) instead of draining it, and a rate limit or
 * a database outage (503) says when to come back.
 */
export function closeIfUnread(req: FastifyRequest, reply: FastifyReply, error: unknown): void {
  if (!req.raw.complete) void reply.header('connection', 'close');
  if (error instanceof AppError && error.retryAfterSeconds !== undefined)
    void reply.header('retry-after', String(error.retryAfterSeconds));
}

/** Headers that describe a payload (a blob, an archive), never an error body. */
const PAYLOAD_HEADERS = [
  'content-type',
  'content-length',
  'content-range',
  'etag',
  'docker-content-digest',
  'accept-ranges',
];

/**
 * Forgets the headers of a payload that failed before its first byte: a blob streamed from PostgreSQL
 * whose first piece's query lost its connection. Fastify has copied them to the raw response by then,
 * so its error path keeps the blob's `Content-Type` and cannot send the JSON error body (a 500
 * instead of the 503). After the first byte the response is cut off instead, and this is not called.
 */
export function dropPayloadHeaders(reply: FastifyReply): void {
  if (reply.raw.headersSent) return;
  for (const name of PAYLOAD_HEADERS) {
    void reply.removeHeader(name);
    reply.raw.removeHeader(name);
  }
}
