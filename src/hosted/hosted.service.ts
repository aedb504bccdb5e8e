import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { BlobStore } from '../blobs/blob-store.js';
import type { RegistryRepository } from '../registries/registry.repository.js';
import type { HostedView } from './hosted.schema.js';
import { toRegistryView } from '../registries/registry.view.js';
import { SYSTEM_SCOPE_KEY, type Principal } from '../shared/context.js';
import { InvalidRequestError, NotFoundError, PermissionError } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import { isUniqueViolation } from '../storage/errors.js';
import type { HostedAccess, HostedTarget } from './hosted-access.js';
import type { HostedRepository } from './hosted.repository.js';
import type { ChartPublisher, PublishedChart } from './chart-publisher.js';
import { versionsByChart, type ChartVersionJson } from './chart-version-json.js';
import type { HostedGarbageCollector } from './garbage-collector.js';
import type { HostedIndexCache, RenderedIndex } from './index-yaml.js';
import type { OciRegistry } from './oci-registry.js';

/** The hosted registry's name in a tenant's registry list, and the system's (SPEC §1: `stable`). */
export const TENANT_HOSTED_NAME = 'hosted';
export const SYSTEM_HOSTED_NAME = 'stable';
/** Longer than any upload takes: a put still running is never swept. */
const SWEEP_GRACE_MS = 60 * 60 * 1000;

export type HostedUrls = HostedView['urls'];

export interface HostedServiceOptions {
  access: HostedAccess;
  charts: ChartPublisher;
  oci: OciRegistry;
  index: HostedIndexCache;
  repository: HostedRepository;
  blobs: BlobStore;
  garbage: HostedGarbageCollector;
  registries: RegistryRepository;
  /** CHARTHOUSE_PUBLIC_URL; null to take every URL from the request. */
  publicUrl: string | null;
  logger: Logger;
}

/** An archive or provenance file of a hosted chart version, opened only when it is sent. */
export interface HostedChartFile {
  /** Strong: the file's digest. */
  etag: string;
  size: number;
  contentType: string;
  open(): Promise<Readable>;
}

/**
 * The hosted registry capability as the HTTP ring sees it: access, the chart publisher (ChartMuseum,
 * console, CLI), the OCI registry, index.yaml, and the registry rows themselves (one per tenant and one
 * for the system, created with the tenant and checked at start-up).
 */
export class HostedService {
  readonly access: HostedAccess;
  readonly charts: ChartPublisher;
  readonly oci: OciRegistry;
  private readonly index: HostedIndexCache;
  private readonly repo: HostedRepository;
  private readonly blobs: BlobStore;
  private readonly garbage: HostedGarbageCollector;
  private readonly registries: RegistryRepository;
  private readonly publicUrl: string | null;
  private readonly logger: Logger;

  constructor(o: HostedServiceOptions) {
    this.access = o.access;
    this.charts = o.charts;
    this.oci = o.oci;
    this.index = o.index;
    this.repo = o.repository;
    this.blobs = o.blobs;
    this.garbage = o.garbage;
    this.registries = o.registries;
    this.publicUrl = o.publicUrl;
    this.logger = o.logger;
  }

  /**
   * Frees what abandoned uploads left (OCI upload sessions untouched for an hour, blob-store writes a
   * crash cut short) and blobs nothing has referenced for an hour (garbage-collector.ts). Run by the
   * hosted-sweep job (hosted-sweep.job.ts) on one server per interval; the deletes are idempotent.
   */
  async sweep(now = Date.now()): Promise<void> {
    const before = new Date(now - SWEEP_GRACE_MS);
    const uploads = await this.oci.sweepUploads(now);
    const partial = await this.blobs.sweepUnfinished(before);
    const { released, freed } = await this.garbage.collectAll(before);
    if (uploads + partial + released > 0) {
      this.logger.info(
        { uploads, partial, released, freed },
        'swept abandoned uploads and unreferenced blobs',
      );
    }
  }

  /**
   * The URL clients reach this server at: the configured public URL, or else the request's own
   * scheme and host (Fastify honours X-Forwarded-* only when the proxy is trusted).
   */
  baseUrl(req: { protocol: string; host: string }): string {
    return this.publicUrl ?? `${req.protocol}://${req.host}`;
  }

  /** The OCI manifest digest a chart version is pulled by, or null (cluster profiles pin it in their locks). */
  async manifestDigest(registryId: string, chart: string, version: string): Promise<string | null> {
    return (await this.repo.manifestDigest(registryId, chart, version)) ?? null;
  }

  /** Every tenant's hosted registry and the system's exist, with endpoints under the current public URL. */
  async provisionAll(): Promise<void> {
    // Two reads at start-up; only scopes without their registry, or with an old endpoint, are written.
    const tenants = await this.repo.tenants();
    const endpoints = await this.repo.endpoints();
    for (const { scope, slug } of [
      { scope: SYSTEM_SCOPE_KEY, slug: SYSTEM_SCOPE_KEY },
      ...tenants.map((t) => ({ scope: t.id, slug: t.name })),
    ]) {
      if (endpoints.get(scope) !== this.endpointOf(slug)) await this.provision(scope, slug);
    }
  }

  private endpointOf(slug: string): string {
    // Without a configured public URL the endpoint is stored as a path; the console resolves it.
    return this.publicUrl === null ? `/helm/${slug}` : this.urls(this.publicUrl, slug).repository;
  }

  /** Creates (or re-points) the hosted registry of one scope; safe to run from several servers at once. */
  async provision(scope: string, slug: string): Promise<void> {
    const endpoint = this.endpointOf(slug);
    const existing = await this.repo.findRegistry(scope);
    const now = new Date().toISOString();
    if (existing) {
      await this.repo.setEndpoint(existing.id, endpoint);
      return;
    }
    const wanted = scope === SYSTEM_SCOPE_KEY ? SYSTEM_HOSTED_NAME : TENANT_HOSTED_NAME;
    // A registry added before hosted ones existed may hold the name: the hosted one takes another.
    const name = (await this.registries.findByName(scope, wanted)) ? `${wanted}-charthouse` : wanted;
    try {
      await this.registries.insert({
        id: newId(),
        scope,
        name,
        kind: 'hosted',
        endpoint,
        protected: 0,
        auth_type: 'none',
        username: null,
        password_enc: null,
        pass_credentials: 0,
        tls_ca_cert: null,
        tls_insecure_skip_verify: 0,
        plain_http: 0,
        oci_repositories: '[]',
        sync_interval_minutes: 60,
        sync_status: 'synced',
        last_synced_at: now,
        last_error: null,
        chart_count: 0,
        version_count: 0,
        created_at: now,
        updated_at: now,
      });
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      this.logger.debug({ scope }, 'hosted registry created by another server meanwhile');
    }
  }

  urls(baseUrl: string, slug: string): HostedUrls {
    const base = new URL(baseUrl);
    const root = `${base.origin}${base.pathname.replace(/\/+$/, '')}`;
    return {
      repository: `${root}/helm/${slug}`,
      chartmuseumApi: `${root}/helm/${slug}/api/charts`,
      ociHost: base.host,
      ociNamespace: `${base.host}/${slug}`,
      plainHttp: base.protocol === 'http:',
    };
  }

  /** The console's view of a tenant's hosted registry (404 for a tenant the caller cannot see). */
  async view(principal: Principal, slug: string, baseUrl: string): Promise<HostedView> {
    const target = await this.access.open(principal, slug, 'pull');
    return this.viewOf(target, baseUrl);
  }

  async setPublicRead(
    principal: Principal,
    slug: string,
    publicRead: boolean,
    baseUrl: string,
  ): Promise<HostedView> {
    const target = await this.access.open(principal, slug, 'pull');
    if (!target.allowed.has('delete')) {
      throw new PermissionError('Only tenant administrators can change who may read the hosted registry.');
    }
    await this.repo.setPublicRead(target.registry.id, publicRead);
    this.access.forget(slug);
    return this.viewOf(await this.access.open(principal, slug, 'pull'), baseUrl);
  }

  private async viewOf(target: HostedTarget, baseUrl: string): Promise<HostedView> {
    const row = await this.repo.registryRow(target.registry.id);
    if (!row) throw new NotFoundError('Registry', target.slug);
    return {
      registry: toRegistryView(row),
      tenant: target.slug,
      publicRead: row.hosted_public_read === 1,
      canPush: target.allowed.has('push'),
      canDelete: target.allowed.has('delete'),
      urls: this.urls(baseUrl, target.slug),
    };
  }

  // The Helm repository (/helm) -------------------------------------------------------------------

  /**
   * index.yaml of the registry's current revision, rendered once per revision. The revision is read
   * afresh (one row by key): the state kept for access checks may be a second old, and a chart pushed
   * through another server must be in the next index this one serves.
   */
  async indexYaml(target: HostedTarget): Promise<RenderedIndex> {
    const current = (await this.repo.registryState(target.registry.id)) ?? target.registry;
    return this.index.get(current, target.slug);
  }

  /** `<name>-<version>.tgz` or its `.tgz.prov`, as `helm pull` fetches them (404 for anything else). */
  async chartFile(target: HostedTarget, file: string): Promise<HostedChartFile> {
    const provenance = file.endsWith('.tgz.prov');
    const archive = provenance ? file.slice(0, -'.prov'.length) : file;
    const chart = archive.endsWith('.tgz')
      ? await this.repo.chartByFile(target.registry.id, archive)
      : undefined;
    const digest = provenance ? chart?.prov_digest : chart?.chart_digest;
    const size = provenance ? chart?.prov_size : chart?.chart_size;
    if (!chart || !digest || size === null || size === undefined) throw new NotFoundError('Chart file', file);
    return {
      etag: `"${digest}"`,
      size: Number(size),
      contentType: provenance ? 'application/pgp-signature' : 'application/x-tar',
      open: async () => {
        const stream = await this.blobs.get(digest);
        if (stream === null) throw new NotFoundError('Chart file', file);
        return stream;
      },
    };
  }

  /**
   * A version's archive or `.prov` by registry id, for a cluster's agent (clusters/agent-archives.ts),
   * which a profile lock names by id: the agent token, not a hosted access check, decides who may.
   */
  async chartFileById(
    registryId: string,
    chart: string,
    version: string,
    provenance: boolean,
  ): Promise<HostedChartFile> {
    const file = `${chart}-${version}.tgz${provenance ? '.prov' : ''}`;
    const registry = await this.repo.registryState(registryId);
    if (!registry) throw new NotFoundError('Chart file', file);
    return this.chartFile({ slug: '', registry, principal: null, allowed: new Set() }, file);
  }

  /** Every chart version by chart name, as the ChartMuseum API lists them. */
  async chartVersions(target: HostedTarget): Promise<Map<string, ChartVersionJson[]>> {
    return versionsByChart(await this.repo.chartEntries(target.registry.id));
  }

  /** A ChartMuseum upload: an archive (with its provenance file or not), or a provenance file alone. */
  async saveUpload(
    target: HostedTarget,
    baseUrl: string,
    body: { chart: Buffer | null; prov: Buffer | null },
    force: boolean,
  ): Promise<void> {
    if (body.chart === null) {
      if (body.prov === null) throw new InvalidRequestError('Send a chart archive.');
      await this.charts.attachProvenance(target.registry, body.prov, force);
    } else {
      await this.charts.publishArchive(baseUrl, target.slug, target.registry, body.chart, body.prov, force);
    }
    this.access.forget(target.slug);
  }

  /**
   * A chart archive made by Charthouse itself (a chart rebuilt from a Helm release by "Sync discovered
   * charts"), published as `principal` would push it: the same access rules and the one publisher,
   * never forced (a version holding other content is a conflict, never overwritten).
   */
  async publishAs(
    principal: Principal,
    slug: string,
    baseUrl: string,
    archive: Buffer,
  ): Promise<{ published: PublishedChart; registry: string }> {
    const target = await this.access.open(principal, slug, 'push');
    const published = await this.charts.publishArchive(
      baseUrl,
      target.slug,
      target.registry,
      archive,
      null,
      false,
    );
    this.access.forget(target.slug);
    return { published, registry: target.registry.name };
  }

  /** Deletes one chart version; false when there is none. */
  async deleteVersion(target: HostedTarget, name: string, version: string): Promise<boolean> {
    const deleted = await this.charts.deleteVersion(target.registry, target.slug, name, version);
    if (deleted) this.access.forget(target.slug);
    return deleted;
  }

  // OCI (/v2) -----------------------------------------------------------------------------------

  /** `/v2/_catalog`: the repositories of every hosted registry the caller may pull from (unsorted). */
  async ociCatalog(principal: Principal): Promise<string[]> {
    const names: string[] = [];
    for (const slug of await this.access.visibleSlugs(principal)) {
      const target = await this.access.resolve(principal, slug);
      if (target.allowed.has('pull')) names.push(...(await this.oci.repositories(target)));
    }
    return names;
  }
}
