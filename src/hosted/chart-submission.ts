import type { BlobInfo } from '../blobs/blob-store.js';
import { readChartFiles, invalidArchive, type ChartFiles } from '../protocol/helm/chart-archive.js';
import { CHART_YAML_MAX_DEPTH, parseChartYaml, type ChartMetadata } from '../protocol/helm/chart-metadata.js';
import { normalizeIndex } from '../protocol/helm/chart-version.js';
import { loadHelmYaml } from '../protocol/helm/safe-yaml.js';
import { parseChartVersion } from '../protocol/helm/semver-sort.js';
import { isRepositoryName } from '../protocol/oci/reference.js';
import { ConflictError, InvalidRequestError } from '../shared/errors.js';
import { toCatalogRow } from '../catalog/catalog-row.js';

/*
 * A chart as it reaches the hosted registry, whichever protocol brings it, and what it must be before
 * the publisher (chart-publisher.ts) stores it: a readable archive with a strict SemVer 2 version
 * (chart-archive.ts does the archive rules), a provenance file that is a clear-signed statement about
 * that chart, the names it goes by (OCI repository, file name) and its catalog row. No I/O: the
 * publisher reads the bytes and writes.
 */

/** Limits of what a hosted registry accepts (SPEC §2; research/perf-security.md C). */
export interface HostedLimits {
  /** A chart archive, compressed (Helm's loader and ChartMuseum allow 10-20 MiB). */
  maxChartBytes: number;
  maxProvenanceBytes: number;
}

export const DEFAULT_HOSTED_LIMITS: Readonly<HostedLimits> = {
  maxChartBytes: 10 * 1024 * 1024,
  maxProvenanceBytes: 64 * 1024,
};

export async function readChart(
  archive: Buffer,
): Promise<{ files: ChartFiles; meta: ChartMetadata; chartYaml: Record<string, unknown> }> {
  const files = await readChartFiles(archive);
  const meta = parseChartYaml(files.chartYaml);
  // SPEC §2: SemVer 2 exactly. Helm's loader takes `v1.2` too, but OCI tags and helm's tag listing
  // only know strict versions, and one store serves both.
  const parsed = parseChartVersion(meta.version);
  if (!parsed.ok || !parsed.version.strict) {
    throw invalidArchive(
      `Chart.yaml's version "${meta.version.slice(0, 100)}" is not SemVer 2 (MAJOR.MINOR.PATCH, no "v", no leading zeros).`,
    );
  }
  // The same text parseChartYaml just accepted (so no anchors, bounded depth), as raw fields for the catalog.
  const chartYaml = loadHelmYaml(files.chartYaml.replace(/^\uFEFF/, ''), CHART_YAML_MAX_DEPTH) as Record<
    string,
    unknown
  >;
  return { files, meta, chartYaml };
}

const PGP_SIGNED = '-----BEGIN PGP SIGNED MESSAGE-----';

/** A provenance file is a clear-signed message naming this chart and version (ChartMuseum's check). */
export function checkProvenance(text: Buffer, meta: ChartMetadata, limits: Readonly<HostedLimits>): void {
  if (text.length > limits.maxProvenanceBytes) {
    throw new InvalidRequestError(
      `The provenance file is larger than ${limits.maxProvenanceBytes} bytes.`,
      undefined,
      'invalid_provenance',
    );
  }
  const body = text.toString('utf8');
  const names = new RegExp(`\\nname: ['"]?${escapeRegExp(meta.name)}['"]?\\r?\\n`).test(body);
  const versions = new RegExp(`\\nversion: ['"]?${escapeRegExp(meta.version)}['"]?\\r?\\n`).test(body);
  if (!body.startsWith(PGP_SIGNED) || !names || !versions) {
    throw new InvalidRequestError(
      `The provenance file is not a clear-signed statement for ${meta.name} ${meta.version} (helm package --sign writes one).`,
      undefined,
      'invalid_provenance',
    );
  }
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The chart and version a provenance file's signed statement names (ChartMuseum's `POST /api/prov`). */
export function provenanceSubject(text: Buffer): { name: string; version: string } {
  const body = text.toString('utf8');
  const name = /\nname: ['"]?([^\s'"]+)/.exec(body)?.[1];
  const version = /\nversion: ['"]?([^\s'"]+)/.exec(body)?.[1];
  if (!body.startsWith(PGP_SIGNED) || name === undefined || version === undefined) {
    throw new InvalidRequestError(
      'The provenance file is not a clear-signed statement naming a chart and version (helm package --sign writes one).',
      undefined,
      'invalid_provenance',
    );
  }
  return { name, version };
}

/** A chart version as it reaches the store: from the ChartMuseum API, or tagged over OCI. */
export interface ChartSubmission {
  meta: ChartMetadata;
  chartYaml: Record<string, unknown>;
  files: ChartFiles;
  chart: BlobInfo;
  provenance: BlobInfo | null;
  config: BlobInfo | null;
  manifest: { repository: string; tag: string; digest: string; mediaType: string; bytes: Buffer } | null;
  /**
   * Replace an existing version with other content (tenant admins; ChartMuseum's `?force`). OCI has no
   * such flag: a version pushed over OCI is deleted first, then pushed again.
   */
  force: boolean;
  /** How it came: an archive (ChartMuseum API, console, CLI) or a tagged OCI manifest. */
  via: 'archive' | 'oci';
}

/** The OCI repository of a chart in a hosted registry: `<tenant>/<chart>`, or null if OCI cannot name it. */
export function chartRepository(slug: string, chartName: string): string | null {
  const name = `${slug}/${chartName}`;
  return isRepositoryName(name) ? name : null;
}

export const chartFileName = (name: string, version: string): string => `${name}-${version}.tgz`;

/**
 * Other content under an existing version. OCI clients have no `?force`, so their message names the
 * request that deletes the version (ChartMuseum's DELETE, the one a tenant administrator can run with
 * curl); Helm 3 prints only "409 Conflict", so the OCI routes also log this message for the operator.
 */
export function versionExists(
  name: string,
  version: string,
  via: ChartSubmission['via'],
  slug: string,
): ConflictError {
  const path = `/helm/${slug}/api/charts/${name}/${version}`;
  return new ConflictError(
    'chart_version_exists',
    via === 'oci'
      ? `${name} ${version} exists already with other content, and versions are immutable: bump the version in Chart.yaml and push that, or have a tenant administrator delete ${name} ${version} first (DELETE ${path}, e.g. curl -u <admin> -X DELETE <charthouse-url>${path}), then push again.`
      : `${name} ${version} exists already with other content, and versions are immutable: push a new version, or overwrite it as a tenant administrator (?force).`,
  );
}

/** The catalog row of a chart version, normalized exactly as a synced index entry would be. */
export function catalogRow(publicUrl: string, slug: string, c: ChartSubmission) {
  const { name, version } = c.meta;
  const entry: Record<string, unknown> = {
    ...c.chartYaml,
    urls: [`charts/${chartFileName(name, version)}`],
    digest: c.chart.digest.slice('sha256:'.length),
  };
  const normalized = normalizeIndex(
    { apiVersion: 'v1', entries: new Map([[name, [entry]]]), chartCount: 1, versionCount: 1, warnings: [] },
    new URL(`${publicUrl.replace(/\/+$/, '')}/helm/${slug}`),
  );
  const record = normalized.versions[0];
  if (record === undefined) {
    const reason = normalized.warnings[0]?.message ?? 'Chart.yaml is not valid.';
    throw invalidArchive(reason);
  }
  return toCatalogRow(record);
}
