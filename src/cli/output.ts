import { ApiError, type ErrorDetail, type RegistryView } from '../client/api-client.js';

/** A failure the CLI explains itself. Exit code 1 for failures, 2 for usage errors. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
  }
}

/** The command line itself is wrong or incomplete (exit code 2, like commander's own errors). */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, 2);
  }
}

export interface Writer {
  write(chunk: string): unknown;
}

/** Columns separated by two spaces; the last column is not padded so lines carry no trailing blanks. */
export function formatTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [headers, ...rows].map(line).join('\n') + '\n';
}

/** `2026-11-21T10:04:05.123Z` → `2026-11-21 10:04 UTC`: a table cell, not a timestamp to parse (use --json). */
export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '-';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** SPEC §1: a protected registry is never contacted, so "Last Synced" is n/a rather than "never". */
export function lastSynced(r: Pick<RegistryView, 'protected' | 'lastSyncedAt'>): string {
  if (r.protected) return 'n/a';
  return r.lastSyncedAt ? formatDate(r.lastSyncedAt) : 'never';
}

const yesNo = (b: boolean): string => (b ? 'yes' : 'no');

export function formatRegistryTable(registries: RegistryView[]): string {
  if (registries.length === 0) return 'No Helm registries.\n';
  return formatTable(
    ['NAME', 'SCOPE', 'KIND', 'ENDPOINT', 'PROTECTED', 'AUTH', 'LAST SYNCED', 'STATUS', 'CHARTS'],
    registries.map((r) => [
      r.name,
      r.scope,
      r.kind,
      r.endpoint,
      yesNo(r.protected),
      r.auth.type,
      lastSynced(r),
      r.syncStatus,
      String(r.chartCount),
    ]),
  );
}

export function formatRegistryDetail(r: RegistryView): string {
  const auth = r.auth.type === 'basic' ? `basic (username ${r.auth.username ?? '?'})` : 'none';
  const pairs: Array<[string, string]> = [
    ['Name', r.name],
    ['Scope', r.scope],
    ['Kind', r.kind],
    ['Endpoint', r.endpoint],
    ['Protected', yesNo(r.protected)],
    ['Authentication', auth],
    ['Pass credentials', yesNo(r.passCredentials)],
    ['TLS CA certificate', r.tls.caCert ? 'custom' : 'system default'],
    ['TLS verification', r.tls.insecureSkipVerify ? 'skipped (insecure)' : 'on'],
  ];
  if (r.kind === 'oci')
    pairs.push(['OCI repositories', r.ociRepositories.join(', ') || '(from /v2/_catalog)']);
  pairs.push(
    ['Sync interval', r.protected ? 'n/a' : `${r.syncIntervalMinutes} minutes`],
    ['Status', r.syncStatus],
    ['Last synced', lastSynced(r)],
  );
  if (r.lastError) pairs.push(['Last error', r.lastError]);
  pairs.push(
    ['Charts', String(r.chartCount)],
    ['Versions', String(r.versionCount)],
    ['Created', formatDate(r.createdAt)],
    ['Updated', formatDate(r.updatedAt)],
  );
  const width = Math.max(...pairs.map(([k]) => k.length)) + 1;
  return pairs.map(([k, v]) => `${`${k}:`.padEnd(width)} ${v}`).join('\n') + '\n';
}

export function formatJson(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n';
}

export function formatWarnings(warnings: readonly string[] | undefined): string {
  return (warnings ?? []).map((w) => `warning: ${w}\n`).join('');
}

/** Writes `error: <message>` and one line per detail; returns the exit code. Stack traces only on request. */
export function reportError(err: unknown, stderr: Writer, env: NodeJS.ProcessEnv = process.env): number {
  let message: string;
  let details: ErrorDetail[] = [];
  let exitCode = 1;
  let hint: string | undefined;
  if (err instanceof ApiError) {
    message = err.message;
    details = err.details;
    if (err.status === 401 && err.code !== 'invalid_credentials') {
      hint = env.CHARTHOUSE_TOKEN
        ? 'the token comes from CHARTHOUSE_TOKEN: check it, or unset it to use your stored sign-in'
        : 'sign in again with "charthouse login"';
    }
  } else if (err instanceof CliError) {
    message = err.message;
    details = err.details;
    exitCode = err.exitCode;
  } else {
    message = err instanceof Error ? err.message : String(err);
  }
  let out = `error: ${message}\n`;
  for (const d of details) out += d.field ? `  ${d.field}: ${d.message}\n` : `  ${d.message}\n`;
  if (hint) out += `hint: ${hint}\n`;
  if (env.CHARTHOUSE_DEBUG && err instanceof Error && err.stack) out += `${err.stack}\n`;
  stderr.write(out);
  return exitCode;
}

/**
 * Wraps a commander action: any failure becomes a readable message and an exit code instead of an
 * unhandled rejection with a stack trace. `process.exitCode` (not `exit()`) lets stdout drain first.
 */
export function action<A extends unknown[]>(
  fn: (...args: A) => Promise<void>,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      process.exitCode = reportError(err, process.stderr);
    }
  };
}
