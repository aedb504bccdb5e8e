import { ApiError } from '../../../src/client/api-client.js';
import { describeError } from './describe-error';

export interface SimpleFormErrors<F extends string> {
  summary: string | null;
  fields: Partial<Record<F, string>>;
}

/**
 * An API failure for a small form whose controls are named like the API's fields: details land next
 * to their control, anything else at the top.
 */
export function simpleFormErrors<F extends string>(
  error: unknown,
  fields: readonly F[],
): SimpleFormErrors<F> {
  const out: SimpleFormErrors<F> = { summary: null, fields: {} };
  if (error instanceof ApiError) {
    for (const detail of error.details) {
      const key = fields.find((f) => f === detail.field);
      if (key && !out.fields[key]) out.fields[key] = sentence(detail.message, key);
    }
  }
  out.summary =
    Object.keys(out.fields).length > 0
      ? 'Nothing was saved. Correct the highlighted fields.'
      : `Nothing was saved. ${describeError(error)}`;
  return out;
}

function sentence(message: string, field: string): string {
  if (/^is required$|^must not be empty$/.test(message)) return 'Required.';
  if (/not allowed/.test(message) && field === 'name')
    return 'Use lowercase letters, digits and "-", starting and ending with a letter or digit.';
  const s = message.charAt(0).toUpperCase() + message.slice(1);
  return /[.!?]$/.test(s) ? s : `${s}.`;
}
