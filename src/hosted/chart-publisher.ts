import { Readable } from 'node:stream';
import type { Kysely } from 'kysely';
import type { BlobInfo, BlobStore } from '../blobs/blob-store.js';
import type { ChartFilesRepository } from '../catalog/chart-files.repository.js';
import type { ChartVersionRepository } from '../catalog/chart-version.repository.js';
import { readChartFiles, invalidArchive, type ChartFiles } from '../protocol/helm/chart-archive.js';
import { CHART_YAML_MAX_DEPTH, parseChartYaml, type ChartMetadata } from '../protocol/helm/chart-metadata.js';
import { normalizeIndex } from '../protocol/helm/chart-version.js';
import { loadHelmYaml } from '../protocol/helm/safe-yaml.js';
import { parseChartVersion } from '../protocol/helm/semver-sort.js';
import { helmConfigBytes, helmManifestBytes, sha256Digest } from '../protocol/oci/helm-artifact.js';
import { OCI_MANIFEST_MEDIA_TYPE } from '../protocol/oci/media-types.js';
import { isRepositoryName, versionToTag } from '../protocol/oci/reference.js';
import { ConflictError, InvalidRequestError, NotFoundError } from '../shared/errors.js';
import { isUniqueViolation } from '../storage/errors.js';
import type { Database } from '../storage/schema.js';
import { toCatalogRow } from '../sync/catalog-row.js';
import type { HostedRegistryState, HostedRepository } from './hosted.repository.js';
import type { OciRepository } from './oci.repository.js';

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

/** A chart version as it reaches the store: from the ChartMuseum API, or tagged over OCI. */
interface ChartSubmission {
  meta: ChartMetadata;
  chartYaml: Record<string, unknown>;
  files: ChartFiles;
  chart: BlobInfo;
  provenance: BlobInfo | null;
  config: BlobInfo | null;
  manifest: { repository: string; tag: string; digest: string; mediaType: string; bytes: Buffer } | null;
  /** Replace an existing version with other content (tenant admins; ChartMuseum's `?force`). */
  force: boolean;
  /** How it came: an archive (ChartMuseum API, console, CLI) or a tagged OCI manifest. */
  via: 'archive' | 'oci';
}

/** What happened to a chart version, for the server's metrics. */
export type ChartChange =
  { kind: 'push'; via: 'archive' | 'oci'; outcome: PublishedChart['outcome'] } | { kind: 'delete' };

export interface PublishedChart {
  name: string;
  version: string;
  /** "sha256:<hex>" of the archive. */
  digest: string;
  manifestDigest: string | null;
  outcome: 'created' | 'unchanged' | 'replaced';
}

/** The OCI repository of a chart in a hosted registry: `<tenant>/<chart>`, or null if OCI cannot name it. */
export function chartRepository(slug: string, chartName: string): string | null {
  const name = `${slug}/${chartName}`;
  return isRepositoryName(name) ? name : null;
}

export const chartFileName = (name: string, version: string): string => `${name}-${version}.tgz`;

/**
 * The one write path of hosted chart versions, whichever protocol brings them: verifies the archive
 * (chart-archive.ts rules, Chart.yaml with a SemVer 2 version), stores the blobs, derives the OCI config
 * and manifest deterministically for ChartMuseum uploads (so one chart always has one manifest digest),
 * and records version, manifest, tag and catalog row in one transaction. Versions are immutable: other
 * content for an existing version is a conflict unless forced; the same content again is a success.
 */
export class ChartPublisher {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly repo: HostedRepository,
    private readonly oci: OciRepository,
    private readonly blobs: BlobStore,
    private readonly versions: ChartVersionRepository,
    private readonly chartFiles: ChartFilesRepository,
    readonly limits: Readonly<HostedLimits> = DEFAULT_HOSTED_LIMITS,
  ) {}

  /** Told of every version pushed or deleted (wired to the Prometheus counters in app.ts). */
  onChange: (change: ChartChange) => void = () => undefined;

  /** A `.tgz` (and optional `.prov`) from the ChartMuseum API, the console or the CLI. */
  async publishArchive(
    base: string,
    slug: string,
    registry: HostedRegistryState,
    archive: Buffer,
    provenanceText: Buffer | null,
    force: boolean,
  ): Promise<PublishedChart> {
    if (archive.length > this.limits.maxChartBytes) {
      throw invalidArchive(`it is larger than ${this.limits.maxChartBytes} bytes compressed.`);
    }
    const { files, meta, chartYaml } = await readChart(archive);
    if (provenanceText !== null) checkProvenance(provenanceText, meta, this.limits);
    const chart = await this.blobs.put(Readable.from([archive]), { maxBytes: this.limits.maxChartBytes });
    const provenance =
      provenanceText === null
        ? null
        : await this.blobs.put(Readable.from([provenanceText]), { maxBytes: this.limits.maxProvenanceBytes });
    const repository = chartRepository(slug, meta.name);
    let config: BlobInfo | null = null;
    let manifest: ChartSubmission['manifest'] = null;
    if (repository !== null) {
      config = await this.blobs.put(Readable.from([helmConfigBytes(meta)]), {
        maxBytes: this.limits.maxChartBytes,
      });
      const bytes = helmManifestBytes({
        meta,
        config,
        chart,
        ...(provenance ? { provenance } : {}),
      });
      manifest = {
        repository,
        tag: versionToTag(meta.version),
        digest: sha256Digest(bytes),
        mediaType: OCI_MANIFEST_MEDIA_TYPE,
        bytes,
      };
    }
    return this.commit(base, slug, registry, {
      meta,
      chartYaml,
      files,
      chart,
      provenance,
      config,
      manifest,
      force,
      via: 'archive',
    });
  }

  /**
   * A Helm chart manifest tagged over OCI: its chart layer (already stored and linked) is read and
   * verified like an upload, and must be the chart the repository and tag name.
   */
  async publishManifest(
    base: string,
    slug: string,
    registry: HostedRegistryState,
    input: {
      repository: string;
      tag: string;
      digest: string;
      mediaType: string;
      bytes: Buffer;
      chart: BlobInfo;
      config: BlobInfo;
      provenance: BlobInfo | null;
    },
  ): Promise<PublishedChart> {
    if (input.chart.size > this.limits.maxChartBytes) {
      throw invalidArchive(`it is larger than ${this.limits.maxChartBytes} bytes compressed.`);
    }
    const archive = await this.readBlob(input.chart.digest);
    const { files, meta, chartYaml } = await readChart(archive);
    const expected = chartRepository(slug, meta.name);
    if (expected !== input.repository) {
      throw new InvalidRequestError(
        `The chart inside is "${meta.name}", so it belongs in repository "${expected ?? `${slug}/${meta.name}`}", not "${input.repository}": push it with "helm push <chart>.tgz oci://<host>/${slug}".`,
        undefined,
        'chart_repository_mismatch',
      );
    }
    if (input.tag !== versionToTag(meta.version)) {
      throw new InvalidRequestError(
        `The chart inside is version ${meta.version}, so its tag must be "${versionToTag(meta.version)}", not "${input.tag}".`,
        undefined,
        'chart_tag_mismatch',
      );
    }
    if (input.provenance !== null) {
      checkProvenance(await this.readBlob(input.provenance.digest), meta, this.limits);
    }
    return this.commit(base, slug, registry, {
      meta,
      chartYaml,
      files,
      chart: input.chart,
      provenance: input.provenance,
      config: input.config,
      manifest: {
        repository: input.repository,
        tag: input.tag,
        digest: input.digest,
        mediaType: input.mediaType,
        bytes: input.bytes,
      },
      force: false,
      via: 'oci',
    });
  }

  /**
   * A provenance file for a version already pushed (ChartMuseum's `POST /api/prov`): the version is the
   * one the signed statement names. Served as `<chart>.tgz.prov`; the OCI manifest stays as pushed.
   */
  async attachProvenance(registry: HostedRegistryState, text: Buffer, force: boolean): Promise<void> {
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
    const existing = await this.repo.chart(this.db, registry.id, name, version);
    if (!existing) throw new NotFoundError('Chart version', `${name} ${version}`);
    checkProvenance(text, { name, version } as ChartMetadata, this.limits);
    const blob = await this.blobs.put(Readable.from([text]), { maxBytes: this.limits.maxProvenanceBytes });
    if (existing.prov_digest === blob.digest) return;
    if (existing.prov_digest !== null && !force) {
      throw new ConflictError(
        'provenance_exists',
        `${name} ${version} has a provenance file already: overwrite it as a tenant administrator (?force).`,
      );
    }
    await this.db.transaction().execute(async (trx) => {
      const now = new Date().toISOString();
      await this.oci.linkBlob(trx, registry.id, blob.digest, blob.size, now);
      await this.repo.saveChart(
        trx,
        { ...existing, prov_digest: blob.digest, prov_size: blob.size, updated_at: now },
        true,
      );
      await this.repo.touch(trx, registry.id, now);
    });
  }

  /** Removes a version from index, catalog and OCI (its tag and manifests); false when there was none. */
  async deleteVersion(
    registry: HostedRegistryState,
    slug: string,
    name: string,
    version: string,
  ): Promise<boolean> {
    const deleted = await this.db.transaction().execute(async (trx) => {
      const existing = await this.repo.chart(trx, registry.id, name, version);
      if (!existing) return false;
      await this.repo.deleteChart(trx, registry.id, name, version);
      const repository = chartRepository(slug, name);
      if (repository !== null) {
        const tag = versionToTag(version);
        const digest = await this.oci.tag(trx, registry.id, repository, tag);
        await this.oci.deleteTag(trx, registry.id, repository, tag);
        for (const d of new Set([digest, existing.manifest_digest])) {
          if (d && (await this.oci.tagsOf(trx, registry.id, repository, d)).length === 0) {
            await this.oci.deleteManifest(trx, registry.id, repository, d);
          }
        }
      }
      await this.repo.touch(trx, registry.id, new Date().toISOString());
      return true;
    });
    if (deleted) this.onChange({ kind: 'delete' });
    return deleted;
  }

  private async commit(
    base: string,
    slug: string,
    registry: HostedRegistryState,
    c: ChartSubmission,
  ): Promise<PublishedChart> {
    const row = catalogRow(base, slug, c);
    try {
      return await this.write(registry, c, row);
    } catch (err) {
      // Two pushes of one version raced past the existence check: the primary key picked the winner;
      // the loser now sees it and gets "unchanged" or a conflict, as if it had come second.
      if (isUniqueViolation(err)) return this.write(registry, c, row);
      throw err;
    }
  }

  private async write(
    registry: HostedRegistryState,
    c: ChartSubmission,
    row: ReturnType<typeof catalogRow>,
  ): Promise<PublishedChart> {
    const { name, version } = c.meta;
    const result = await this.db.transaction().execute(async (trx) => {
      const now = new Date().toISOString();
      const existing = await this.repo.chart(trx, registry.id, name, version);
      let outcome: PublishedChart['outcome'] = 'created';
      if (existing) {
        if (existing.chart_digest === c.chart.digest) outcome = 'unchanged';
        else if (!c.force) throw versionExists(name, version);
        else outcome = 'replaced';
      }
      for (const blob of [c.chart, c.provenance, c.config]) {
        if (blob) await this.oci.linkBlob(trx, registry.id, blob.digest, blob.size, now);
      }
      if (c.manifest) {
        const m = c.manifest;
        await this.oci.saveManifest(trx, {
          registry_id: registry.id,
          repository: m.repository,
          digest: m.digest,
          media_type: m.mediaType,
          size: m.bytes.length,
          content: m.bytes,
          created_at: now,
        });
        await this.oci.setTag(trx, registry.id, m.repository, m.tag, m.digest, now);
        // An overwritten version's old manifest is obsolete once no tag names it (its blobs then go
        // with the garbage collector).
        const old = existing?.manifest_digest;
        if (outcome === 'replaced' && old && old !== m.digest) {
          if ((await this.oci.tagsOf(trx, registry.id, m.repository, old)).length === 0) {
            await this.oci.deleteManifest(trx, registry.id, m.repository, old);
          }
        }
      }
      const provenance = c.provenance;
      await this.repo.saveChart(
        trx,
        {
          registry_id: registry.id,
          chart_name: name,
          version,
          file_name: chartFileName(name, version),
          chart_digest: c.chart.digest,
          chart_size: c.chart.size,
          // An identical re-push without provenance keeps the one uploaded before.
          prov_digest:
            provenance?.digest ?? (outcome === 'unchanged' ? (existing?.prov_digest ?? null) : null),
          prov_size: provenance?.size ?? (outcome === 'unchanged' ? (existing?.prov_size ?? null) : null),
          manifest_digest: c.manifest?.digest ?? null,
          created_at: existing?.created_at ?? now,
          updated_at: now,
        },
        existing !== undefined,
      );
      if (outcome !== 'unchanged') {
        await trx
          .deleteFrom('chart_versions')
          .where('registry_id', '=', registry.id)
          .where('chart_name', '=', name)
          .where('version', '=', version)
          .execute();
        await this.versions.applyDiff(
          trx,
          registry.id,
          { insert: [{ ...row, created: now }], update: [], remove: [] },
          new Date(now),
        );
        await this.repo.touch(trx, registry.id, now);
      } else if (c.manifest && existing?.manifest_digest !== c.manifest.digest) {
        await this.repo.touch(trx, registry.id, now);
      }
      return outcome;
    });
    await this.chartFiles.save({
      digest: c.chart.digest.slice('sha256:'.length),
      values_yaml: c.files.valuesYaml,
      readme: c.files.readme,
      values_schema: c.files.valuesSchema,
      created_at: new Date().toISOString(),
    });
    this.onChange({ kind: 'push', via: c.via, outcome: result });
    return {
      name,
      version,
      digest: c.chart.digest,
      manifestDigest: c.manifest?.digest ?? null,
      outcome: result,
    };
  }

  private async readBlob(digest: string): Promise<Buffer> {
    const stream = await this.blobs.get(digest);
    if (stream === null) throw new InvalidRequestError(`Blob ${digest} is missing from the store.`);
    const chunks: Buffer[] = [];
    for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
    return Buffer.concat(chunks);
  }
}

function versionExists(name: string, version: string): ConflictError {
  return new ConflictError(
    'chart_version_exists',
    `${name} ${version} exists already with other content, and versions are immutable: push a new version, or overwrite it as a tenant administrator (?force).`,
  );
}

async function readChart(
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
function checkProvenance(text: Buffer, meta: ChartMetadata, limits: Readonly<HostedLimits>): void {
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

/** The catalog row of a chart version, normalized exactly as a synced index entry would be. */
function catalogRow(publicUrl: string, slug: string, c: ChartSubmission) {
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
