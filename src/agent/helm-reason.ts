import { CONTROL_CHARACTERS } from '../shared/text.js';
import type { HelmRun } from './helm-runner.js';

/*
 * A failed helm command as the one-line reason the agent reports (and the server shows and logs).
 * Helm ends its stderr with `Error: <what went wrong>`; that line is the reason, prefixed with what the
 * agent was doing. Reasons never carry secrets: values never reach helm's command line, and since a
 * chart's own message (`fail`, a template error quoting a rendered line) may repeat a value, every
 * string in the layer's values is masked wherever it appears.
 */

const MAX_REASON = 1000;
/** Shorter strings (`true`, `app`, a port) are too common to mask without mangling the message. */
const MIN_MASKED = 4;

export function helmFailureReason(doing: string, run: HelmRun, values: unknown, timeoutMs: number): string {
  let what: string;
  if (run.spawnError !== undefined) what = run.spawnError;
  else {
    const said = lastError(run.stderr);
    if (run.timedOut)
      what = `helm did not finish within ${Math.round(timeoutMs / 1000)} s${said ? ` (${said})` : ''}`;
    else if (run.signal !== null) what = `helm was ended by ${run.signal}${said ? ` (${said})` : ''}`;
    else what = said || `helm exited with code ${run.code ?? '?'} and printed no error`;
  }
  return oneLine(mask(`${doing}: ${what}`, values));
}

/** Helm's `Error: ...` line (the last one), without the prefix; else its last line of output. */
function lastError(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const error = lines.findLast((l) => l.startsWith('Error:'));
  return (error ?? lines.at(-1) ?? '').replace(/^Error:\s*/, '');
}

export function oneLine(text: string): string {
  const flat = text.replace(new RegExp(CONTROL_CHARACTERS.source, 'g'), ' ').replace(/\s+/g, ' ').trim();
  return flat.length > MAX_REASON ? `${flat.slice(0, MAX_REASON - 1)}…` : flat;
}

/** Replaces every string of `values` (MIN_MASKED characters or more) found in `text` with `***`. */
export function mask(text: string, values: unknown): string {
  const strings = new Set<string>();
  const walk = (value: unknown): void => {
    if (typeof value === 'string') {
      // A multi-line value (a key, a certificate) may be quoted one line at a time.
      for (const part of [value, ...value.split('\n').map((l) => l.trim())]) {
        if (part.length >= MIN_MASKED) strings.add(part);
      }
    } else if (Array.isArray(value)) value.forEach(walk);
    else if (value !== null && typeof value === 'object') Object.values(value).forEach(walk);
  };
  walk(values);
  // Longest first, so a secret containing another value is masked whole.
  let masked = text;
  for (const secret of [...strings].sort((a, b) => b.length - a.length)) {
    masked = masked.split(secret).join('***');
  }
  return masked;
}
