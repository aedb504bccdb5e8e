import { Readable } from 'node:stream';
import type { BlobInfo, BlobStore } from '../blobs/blob-store.js';
import type { ChartFilesRepository } from '../catalog/chart-files.repository.js';
import type { CatalogWriter } from '../catalog/catalog-writer.js';
import { invalidArchive, type ChartFiles } from '../protocol/helm/chart-archive.js';
import type { ChartMetadata } from '../protocol/helm/chart-metadata.js';
import {
  helmConfigBytes,
  helmConfigMismatch,
  helmManifestBytes,
  readHelmManifest,
  sameManifestContent,
  sha256Digest,
} from '../protocol/oci/helm-artifact.js';
import { archiveFingerprint } from '../protocol/helm/release/chart-fingerprint.js';
import { OCI_MANIFEST_MEDIA_TYPE } from '../protocol/oci/media-types.js';
import { versionToTag } from '../protocol/oci/reference.js';
import { ConflictError, InvalidRequestError, NotFoundError } from '../shared/errors.js';
import { isUniqueViolation } from '../storage/errors.js';
import { inTransaction } from '../storage/transaction.js';
import {
  catalogRow,
  chartFileName,
  chartRepository,
  checkProvenance,
  DEFAULT_HOSTED_LIMITS,
  provenanceSubject,
  readChart,
  versionExists,
  type ChartSubmission,
  type HostedLimits,
} from './chart-submission.js';
import type { Db, HostedChartRow, HostedRegistryState, HostedRepository } from './hosted.repository.js';
import type { OciRepository } from './oci.repository.js';

/** A Helm config is Chart.yaml's metadata as JSON (a few KiB); one far larger is not a config. */
const MAX_CONFIG_BYTES = 1024 * 1024;

/** A Helm chart manifest PUT over OCI: its blobs are held by the registry, of the sizes it says. */
export interface ChartManifest {
  repository: string;
  digest: string;
  mediaType: string;
  bytes: Buffer;
  chart: BlobInfo;
  config: BlobInfo;
  provenance: BlobInfo | null;
}

/**
 * How a manifest pushed for an existing version compares with the version's own: the same bytes, the
 * same content but for `created` (sameManifestContent), or none to compare with (a version stored
 * without an OCI manifest). Anything else is refused before it gets here.
 */
type ManifestMatch = 'identical' | 'same-content' | 'none';

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

/**
 * The one write path of hosted chart versions, whichever protocol brings them: verifies the archive
 * (chart-archive.ts rules, Chart.yaml with a SemVer 2 version), stores the blobs, derives the OCI config
 * and manifest deterministically for ChartMuseum uploads (so one chart always has one manifest digest),
 * and records version, manifest, tag and catalog row in one transaction. Versions are immutable: other
 * content for an existing version is a conflict unless forced; the same content again is a success.
 * Over OCI that covers the manifest too: a version keeps the manifest it was first stored with, and a
 * re-push is taken only when it is that manifest, or differs from it in `created` alone (kept untagged).
 */
export class ChartPublisher {
  constructor(
    private readonly db: Db,
    private readonly repo: HostedRepository,
    private readonly oci: OciRepository,
    private readonly blobs: BlobStore,
    private readonly catalog: CatalogWriter,
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
   * verified like an upload, its config must name that chart, and it must be the chart the repository
   * and tag name.
   */
  async publishManifest(
    base: string,
    slug: string,
    registry: HostedRegistryState,
    input: ChartManifest & { tag: string },
  ): Promise<PublishedChart> {
    const { files, meta, chartYaml } = await this.readManifestChart(input);
    checkChartRepository(slug, meta.name, input.repository);
    if (input.tag !== versionToTag(meta.version)) {
      throw new InvalidRequestError(
        `The chart inside is version ${meta.version}, so its tag must be "${versionToTag(meta.version)}", not "${input.tag}".`,
        undefined,
        'chart_tag_mismatch',
      );
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
   * A Helm chart manifest PUT by digest (helm >= 3.18 does so before tagging it): verified like a
   * tagged one: in its chart's repository only (a chart pushed to `acme/team/demo` would never be a
   * version, and its untagged manifest would leave a repository in `_catalog` behind a refused push),
   * and, for an existing version, held to that version's manifest, so other content is refused at the
   * first request instead of lingering untagged. Stores nothing.
   */
  async checkUntagged(slug: string, registry: HostedRegistryState, input: ChartManifest): Promise<void> {
    const { meta } = await this.readManifestChart(input);
    checkChartRepository(slug, meta.name, input.repository);
    const existing = await this.repo.chart(this.db, registry.id, meta.name, meta.version);
    if (existing) await this.compareWithVersion(this.db, slug, registry.id, existing, input, meta);
  }

  /**
   * A provenance file for a version already pushed (ChartMuseum's `POST /api/prov`): the version is the
   * one the signed statement names. Served as `<chart>.tgz.prov`; the OCI manifest stays as pushed.
   */
  async attachProvenance(registry: HostedRegistryState, text: Buffer, force: boolean): Promise<void> {
    const { name, version } = provenanceSubject(text);
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
    await inTransaction(this.db, async (trx) => {
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
    const deleted = await inTransaction(this.db, async (trx) => {
      const existing = await this.repo.chart(trx, registry.id, name, version);
      if (!existing) return false;
      await this.repo.deleteChart(trx, registry.id, name, version);
      await this.catalog.removeVersion(trx, registry.id, name, version);
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
        await this.dropUntagged(trx, registry.id, repository, existing.chart_digest);
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
      return await this.write(slug, registry, c, row);
    } catch (err) {
      // Two pushes of one version raced past the existence check: the primary key picked the winner;
      // the loser now sees it and gets "unchanged" or a conflict, as if it had come second.
      if (isUniqueViolation(err)) return this.write(slug, registry, c, row);
      throw err;
    }
  }

  private async write(
    slug: string,
    registry: HostedRegistryState,
    c: ChartSubmission,
    row: ReturnType<typeof catalogRow>,
  ): Promise<PublishedChart> {
    const { name, version } = c.meta;
    const result = await inTransaction(this.db, async (trx) => {
      const now = new Date().toISOString();
      const existing = await this.repo.chart(trx, registry.id, name, version);
      let outcome: PublishedChart['outcome'] = 'created';
      let match: ManifestMatch | null = null;
      if (existing) {
        if (c.via === 'oci' && c.manifest) {
          // OCI has no force: other content (archive or manifest) is refused in compareWithVersion.
          match = await this.compareWithVersion(
            trx,
            slug,
            registry.id,
            existing,
            { ...c.manifest, chart: c.chart },
            c.meta,
          );
          outcome = 'unchanged';
        } else if (existing.chart_digest === c.chart.digest) outcome = 'unchanged';
        else if (!c.force) throw versionExists(name, version, c.via, slug);
        else outcome = 'replaced';
      }
      for (const blob of [c.chart, c.provenance, c.config]) {
        if (blob) await this.oci.linkBlob(trx, registry.id, blob.digest, blob.size, now);
      }
      let manifestDigest = existing?.manifest_digest ?? null;
      const m = c.manifest;
      if (m) {
        const saveManifest = () =>
          this.oci.saveManifest(trx, {
            registry_id: registry.id,
            repository: m.repository,
            digest: m.digest,
            media_type: m.mediaType,
            size: m.bytes.length,
            content: m.bytes,
            created_at: now,
          });
        // A version keeps its manifest and tag: only a new or overwritten version, or one stored
        // without a manifest, takes the one that came with this push.
        if (outcome !== 'unchanged' || manifestDigest === null || match === 'none') {
          await saveManifest();
          await this.oci.setTag(trx, registry.id, m.repository, m.tag, m.digest, now);
          manifestDigest = m.digest;
          // An overwritten version's old manifests are obsolete once no tag names them (their blobs
          // then go with the garbage collector).
          const old = existing?.manifest_digest;
          if (outcome === 'replaced' && existing) {
            if (
              old &&
              old !== m.digest &&
              (await this.oci.tagsOf(trx, registry.id, m.repository, old)).length === 0
            ) {
              await this.oci.deleteManifest(trx, registry.id, m.repository, old);
            }
            await this.dropUntagged(trx, registry.id, m.repository, existing.chart_digest);
          }
        } else if (match === 'same-content') {
          // The same content with another `created` (helm >= 3.15 writes the archive's mtime there):
          // a re-push. Kept untagged, so the digest the client was given is real; the tag stays.
          await saveManifest();
        }
      }
      // An identical archive may bring the provenance file the version lacked (or another one, as
      // ChartMuseum allows); an OCI re-push never changes it (its layers are the version's own).
      const provenance =
        outcome !== 'unchanged' || (c.via === 'archive' && c.provenance !== null)
          ? c.provenance
          : existing?.prov_digest
            ? { digest: existing.prov_digest, size: Number(existing.prov_size) }
            : null;
      const changed =
        existing === undefined ||
        outcome !== 'unchanged' ||
        manifestDigest !== existing.manifest_digest ||
        (provenance?.digest ?? null) !== existing.prov_digest;
      if (changed) {
        await this.repo.saveChart(
          trx,
          {
            registry_id: registry.id,
            chart_name: name,
            version,
            file_name: chartFileName(name, version),
            chart_digest: c.chart.digest,
            chart_size: c.chart.size,
            prov_digest: provenance?.digest ?? null,
            prov_size: provenance?.size ?? null,
            manifest_digest: manifestDigest,
            created_at: existing?.created_at ?? now,
            updated_at: now,
          },
          existing !== undefined,
        );
      }
      if (outcome !== 'unchanged') {
        await this.catalog.replaceVersion(trx, registry.id, { ...row, created: now }, new Date(now));
        await this.repo.touch(trx, registry.id, now);
      } else if (changed) {
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
      fingerprint: archiveFingerprint(c.files),
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

  /**
   * Holds a manifest pushed over OCI to an existing version: the same archive, and the version's own
   * manifest or one that differs from it in `created` alone. Anything else is other content under an
   * existing version: 409.
   */
  private async compareWithVersion(
    db: Db,
    slug: string,
    registryId: string,
    existing: HostedChartRow,
    m: Pick<ChartManifest, 'repository' | 'digest' | 'bytes' | 'chart'>,
    meta: Pick<ChartMetadata, 'name' | 'version'>,
  ): Promise<ManifestMatch> {
    if (existing.chart_digest !== m.chart.digest) throw versionExists(meta.name, meta.version, 'oci', slug);
    if (existing.manifest_digest === m.digest) return 'identical';
    const stored =
      existing.manifest_digest === null
        ? undefined
        : await this.oci.manifest(registryId, m.repository, existing.manifest_digest, db);
    if (stored === undefined) return 'none';
    if (sameManifestContent(stored.content, m.bytes)) return 'same-content';
    throw versionExists(meta.name, meta.version, 'oci', slug);
  }

  /** Deletes the untagged manifests of `repository` whose chart layer is `chartDigest`. */
  private async dropUntagged(
    trx: Db,
    registryId: string,
    repository: string,
    chartDigest: string,
  ): Promise<void> {
    for (const m of await this.oci.untaggedManifests(trx, registryId, repository)) {
      let chart: string | undefined;
      try {
        chart = readHelmManifest(m.content, m.media_type).helm?.chart.digest;
      } catch {
        continue; // stored manifests were checked on the way in; one that no longer reads stays
      }
      if (chart === chartDigest) await this.oci.deleteManifest(trx, registryId, repository, m.digest);
    }
  }

  /** A chart version's manifest as a pushed OCI client sent it: chart, config and provenance checked. */
  private async readManifestChart(
    input: ChartManifest,
  ): Promise<{ files: ChartFiles; meta: ChartMetadata; chartYaml: Record<string, unknown> }> {
    if (input.chart.size > this.limits.maxChartBytes) {
      throw invalidArchive(`it is larger than ${this.limits.maxChartBytes} bytes compressed.`);
    }
    if (input.config.size > MAX_CONFIG_BYTES) {
      throw new InvalidRequestError(
        `The manifest's Helm config blob has ${input.config.size} bytes; a chart's config (Chart.yaml's metadata as JSON) is at most ${MAX_CONFIG_BYTES}.`,
        undefined,
        'chart_config_mismatch',
      );
    }
    const config = await this.readBlob(input.config.digest);
    const chart = await readChart(await this.readBlob(input.chart.digest));
    const mismatch = helmConfigMismatch(config, chart.meta);
    if (mismatch !== null) throw new InvalidRequestError(mismatch, undefined, 'chart_config_mismatch');
    if (input.provenance !== null) {
      checkProvenance(await this.readBlob(input.provenance.digest), chart.meta, this.limits);
    }
    return chart;
  }

  private async readBlob(digest: string): Promise<Buffer> {
    const stream = await this.blobs.get(digest);
    if (stream === null) throw new InvalidRequestError(`Blob ${digest} is missing from the store.`);
    const chunks: Buffer[] = [];
    for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
    return Buffer.concat(chunks);
  }
}

/** A chart pushed over OCI lives in `<tenant>/<chart name>`, nowhere else (not `acme/team/<chart>`). */
function checkChartRepository(slug: string, chartName: string, repository: string): void {
  const expected = chartRepository(slug, chartName);
  if (expected === repository) return;
  throw new InvalidRequestError(
    `The chart inside is "${chartName}", so it belongs in repository "${expected ?? `${slug}/${chartName}`}", not "${repository}": push it with "helm push <chart>.tgz oci://<host>/${slug}".`,
    undefined,
    'chart_repository_mismatch',
  );
}
