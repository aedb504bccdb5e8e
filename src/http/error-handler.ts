import { randomUUID } from 'node:crypto';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, type ErrorDetail, InvalidRequestError, PayloadTooLargeError } from '../shared/errors.js';
import { pathParameterNotFound } from './parameters.js';

/** Fields the server owns: a client sending one is told so, not just "unknown field". */
const SERVER_OWNED_FIELDS = new Set([
  'id',
  'scope',
  'tenantId',
  'kind',
  'createdAt',
  'updatedAt',
  'lastSyncedAt',
  'syncStatus',
  'lastError',
  'chartCount',
  'versionCount',
]);

export interface AjvIssue {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

function fieldOf(issue: AjvIssue, part: string): string {
  const p = issue.instancePath
    .replace(/^\//, '')
    .replace(/\/(\d+)(?=\/|$)/g, '[$1]')
    .replace(/\//g, '.');
  return p === '' ? part : p;
}

function describe(issue: AjvIssue, part: string): ErrorDetail {
  const base = fieldOf(issue, part);
  const join = (name: string): string => (base === part ? name : `${base}.${name}`);
  switch (issue.keyword) {
    case 'additionalProperties': {
      const name = String(issue.params.additionalProperty);
      return SERVER_OWNED_FIELDS.has(name)
        ? { field: join(name), message: `"${name}" is set by the server: remove it from the request` }
        : { field: join(name), message: `unknown field "${name}": remove it (check the spelling)` };
    }
    case 'required':
      return { field: join(String(issue.params.missingProperty)), message: 'is required' };
    case 'maxLength':
      return { field: base, message: `must be at most ${String(issue.params.limit)} characters` };
    case 'minLength':
      return {
        field: base,
        message:
          Number(issue.params.limit) === 1
            ? 'must not be empty'
            : `must be at least ${String(issue.params.limit)} characters`,
      };
    case 'pattern':
      return {
        field: base,
        message: 'contains characters that are not allowed (see the API documentation for the allowed form)',
      };
    case 'const':
      return { field: base, message: `must be "${String(issue.params.allowedValue)}"` };
    default:
      return { field: base, message: issue.message ?? 'is invalid' };
  }
}

/** At most this many field errors in one answer: enough for any form, bounded for hostile bodies. */
export const MAX_FIELD_ERRORS = 20;

/** Union schemas report one failure per branch; keep the ones that explain the most. */
function pickIssues(issues: AjvIssue[]): AjvIssue[] {
  const specific = issues.filter(
    (i) => i.keyword !== 'anyOf' && i.keyword !== 'const' && i.keyword !== 'oneOf',
  );
  return specific.length > 0 ? specific : issues.filter((i) => i.keyword !== 'anyOf');
}

/**
 * Ajv (with allErrors) reports every rule a value breaks, and every branch of a union: one detail per
 * field is what a form can show (the first, which for an empty string is "must not be empty" rather
 * than its pattern), in the order of the schema.
 */
export function validationDetails(issues: AjvIssue[], part: string): ErrorDetail[] {
  const byField = new Map<string, ErrorDetail>();
  for (const issue of pickIssues(issues)) {
    const detail = describe(issue, part);
    if (!byField.has(detail.field ?? '')) byField.set(detail.field ?? '', detail);
  }
  return [...byField.values()].slice(0, MAX_FIELD_ERRORS);
}

/** The first field's problem in words, and how many more the details list. */
export function validationSummary(details: ErrorDetail[], part: string): string {
  const [first, ...rest] = details;
  if (!first) return `The request ${part} is invalid.`;
  const more = rest.length === 0 ? '' : ` (and ${rest.length} more: see details)`;
  return `The request ${part} is invalid: ${first.field}: ${first.message}${more}.`;
}

/** Maps every error to the SPEC's JSON shape, once. Unknown errors become a 500 with a correlation id. */
export function errorHandler(
  error: FastifyError | AppError | Error,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  const known = pathParameterNotFound(error, request) ?? toAppError(error);
  if (known) {
    // A rate limit, or the database away for a moment (503): the client may retry after this.
    if (known.retryAfterSeconds !== undefined)
      void reply.header('retry-after', String(known.retryAfterSeconds));
    const body: { error: { code: string; message: string; details?: ErrorDetail[] } } = {
      error: { code: known.code, message: known.message },
    };
    if (known.details && known.details.length > 0) body.error.details = known.details;
    if (known.status >= 500) request.log.error({ err: error }, 'request failed');
    void reply.status(known.status).send(body);
    return;
  }
  const correlationId = randomUUID();
  request.log.error({ err: error, correlationId }, 'unexpected error');
  void reply.status(500).send({
    error: {
      code: 'internal_error',
      message: `Something went wrong on the server. Quote ${correlationId} when reporting it.`,
    },
  });
}

function toAppError(error: Error): AppError | null {
  if (error instanceof AppError) return error;
  const fe = error as FastifyError & { validation?: AjvIssue[]; validationContext?: string };
  if (fe.validation) {
    const part = fe.validationContext ?? 'body';
    const details = validationDetails(fe.validation, part);
    return new InvalidRequestError(validationSummary(details, part), details);
  }
  switch (fe.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new InvalidRequestError(
        `The body is not valid JSON: ${fe.message}. Send a JSON object.`,
        undefined,
        'malformed_json',
      );
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new PayloadTooLargeError('The request body is too large.');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new InvalidRequestError(
        'Send the body as application/json.',
        undefined,
        'unsupported_media_type',
      );
  }
  if (error instanceof SyntaxError && fe.statusCode === 400) {
    return new InvalidRequestError(`The body is not valid JSON: ${fe.message}.`, undefined, 'malformed_json');
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return new InvalidRequestError(fe.message);
  }
  return null;
}
