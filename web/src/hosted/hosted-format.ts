import { ApiError } from '../../../src/client/api-client.js';

/** The largest archive the console uploads; the server enforces its own limit as well. */
export const MAX_UPLOAD_BYTES = 10 * 1024 * 1024;

/** Why a picked file is refused before any request, or null when it may be uploaded. */
export function checkChartFile(file: { name: string; size: number }): string | null {
  if (!/\.tgz$/i.test(file.name))
    return `"${file.name}" is not a packaged chart: choose a .tgz file made by helm package.`;
  if (file.size === 0) return `"${file.name}" is empty.`;
  if (file.size > MAX_UPLOAD_BYTES)
    return `"${file.name}" is ${formatBytes(file.size)}; charts up to ${formatBytes(MAX_UPLOAD_BYTES)} can be uploaded.`;
  return null;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1).replace(/\.0$/, '')} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1).replace(/\.0$/, '')} MiB`;
}

export interface ChartIdentity {
  name: string;
  version: string;
}

/**
 * Name and version from helm package's file name, `<name>-<version>.tgz`: the version starts at the
 * first "-" followed by a digit (chart names may hold "-", SemVer pre-releases too).
 */
export function identityFromFileName(fileName: string): ChartIdentity | null {
  const match = /^(.+?)-(v?\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]*)?)\.tgz$/i.exec(
    fileName.split(/[\\/]/).pop() ?? '',
  );
  return match ? { name: match[1]!, version: match[2]! } : null;
}

/** "Uploaded webapp 1.2.0" when the chart is known, else the file name. */
export function uploadedText(identity: ChartIdentity | null, fileName: string): string {
  return identity ? `Uploaded ${identity.name} ${identity.version}.` : `Uploaded ${fileName}.`;
}

/**
 * A refused upload in words: the server's own reason, and for an existing version (409) what to do
 * about it; administrators may overwrite, members must raise the version.
 */
export function describeUploadError(error: unknown, canOverwrite: boolean): string {
  if (error instanceof ApiError) {
    if (error.status === 409) {
      const next = canOverwrite
        ? 'Raise the version in Chart.yaml, or tick "Overwrite an existing version" to replace it.'
        : 'Raise the version in Chart.yaml and package the chart again: versions cannot be replaced.';
      return `${error.message} This version is already in the registry. ${next}`;
    }
    if (error.status === 413) return `${error.message} The archive is too large for this server.`;
    if (error.status === 403) return `${error.message} Ask a tenant administrator if you need this.`;
    return error.message;
  }
  if (error instanceof Error) return `The console failed unexpectedly: ${error.message}`;
  return 'The console failed unexpectedly.';
}

/** The console path of a chart of a tenant's registry (the Charts screen's chart page). */
export const chartPagePath = (tenant: string, registry: string, chart: string, version?: string): string =>
  `/t/${encodeURIComponent(tenant)}/charts/${encodeURIComponent(registry)}/${encodeURIComponent(chart)}${
    version ? `?${new URLSearchParams({ version }).toString()}` : ''
  }`;
