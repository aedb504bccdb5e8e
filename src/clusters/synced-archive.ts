import { createHash } from 'node:crypto';
import { DEFAULT_CHART_ARCHIVE_LIMITS } from '../protocol/helm/chart-archive.js';
import { versionToTag } from '../protocol/oci/reference.js';
import { registryConnection } from '../registries/registry.connection.js';
import type { RegistryRow } from '../registries/registry.repository.js';
import { AppError, NotFoundError } from '../shared/errors.js';
import type { SecretBox } from '../shared/secret-box.js';
import {
  fetchClassicArchive,
  fetchClassicProvenance,
  fetchOciChart,
  fetchOciChartLayer,
  NoChartArchiveError,
} from '../upstream/chart-archive-fetch.js';
import type { UpstreamPolicy } from '../upstream/http-client.js';
import type { SyncedFetch } from './agent-archives.js';

/** 502: the registry served other bytes than the version's lock pinned; nothing is passed on. */
export class LockedDigestMismatchError extends AppError {
  readonly status = 502;
  constructor(chart: string, version: string, expected: string, actual: string) {
    super(
      'digest_mismatch',
      `The registry now serves ${chart} ${version} with sha256 ${actual}, but the profile version pinned ${expected}: the chart was re-published upstream. Publish a new profile version to take the new bytes.`,
    );
  }
}

export interface SyncedArchiveDeps {
  registries: (ids: readonly string[]) => Promise<RegistryRow[]>;
  secrets: SecretBox;
  policy: UpstreamPolicy;
}

/**
 * A synced registry's archive or `.prov` for an agent (SPEC §2: the agent pulls synced charts through
 * Charthouse), fetched as the catalog's chart files are (upstream/chart-archive-fetch.ts) with the
 * registry's own credentials, and checked against the lock's digest before a byte leaves the server.
 */
export function syncedArchiveFetcher(d: SyncedArchiveDeps): SyncedFetch {
  const options = { policy: d.policy, maxBytes: DEFAULT_CHART_ARCHIVE_LIMITS.maxCompressedBytes };
  return async ({ locked }, kind) => {
    const [row] = await d.registries([locked.registryId]);
    if (!row || locked.chartUrl === null) throw new NotFoundError('Registry of layer', locked.name);
    const connection = registryConnection(row, d.secrets);
    if (row.kind !== 'oci') {
      const url = new URL(locked.chartUrl);
      if (kind === 'provenance') return fetchClassicProvenance(connection, url, d.policy);
      return checked(locked, await fetchClassicArchive(connection, url, options));
    }
    const prefix = `oci://${connection.endpoint.baseUrl.host}/`;
    if (!locked.chartUrl.startsWith(prefix)) {
      throw new NoChartArchiveError("The lock's OCI reference does not point at the registry.");
    }
    const repository = locked.chartUrl.slice(prefix.length);
    const reference = locked.manifestDigest ?? versionToTag(locked.version);
    if (kind === 'provenance') {
      return (await fetchOciChart(connection, repository, reference, { ...options, withProvenance: true }))
        .provenance;
    }
    const archive =
      locked.digest !== null
        ? await fetchOciChartLayer(connection, repository, locked.digest, options)
        : (await fetchOciChart(connection, repository, reference, options)).archive;
    return checked(locked, archive);
  };
}

function checked(locked: { chart: string; version: string; digest: string | null }, bytes: Buffer): Buffer {
  const actual = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  if (locked.digest !== null && actual !== locked.digest) {
    throw new LockedDigestMismatchError(locked.chart, locked.version, locked.digest, actual);
  }
  return bytes;
}
