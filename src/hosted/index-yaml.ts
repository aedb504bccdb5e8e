import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import yaml from 'js-yaml';
import { versionsByChart } from './chart-version-json.js';
import type {
  CatalogColumns,
  HostedChartRow,
  HostedRegistryState,
  HostedRepository,
} from './hosted.repository.js';

/** Registries whose index is kept rendered; a quiet one past this is rendered again when asked. */
const MAX_CACHED_INDEXES = 500;

/** A rendered index.yaml, ready to send: plain and gzip bodies with their validator. */
export interface RenderedIndex {
  revision: number;
  etag: string;
  body: Buffer;
  gzip: Buffer;
}

/**
 * The classic repository's index.yaml, generated from the database (never by listing storage) and kept
 * per registry until its revision moves: every write bumps `hosted_revision`, so each revision is
 * rendered and compressed once, and a conditional request costs a comparison. Concurrent requests for
 * one new revision share one rendering.
 */
export class HostedIndexCache {
  private readonly entries = new Map<string, Promise<RenderedIndex>>();

  constructor(
    private readonly repo: HostedRepository,
    /** The public URL's path ("" at the root), which `helm cm-push` puts before /helm/<t>/api. */
    private readonly basePath: string,
  ) {}

  get(registry: HostedRegistryState, slug: string): Promise<RenderedIndex> {
    const cached = this.entries.get(registry.id);
    if (cached) {
      return cached.then((index) =>
        index.revision >= registry.revision ? index : this.render(registry, slug),
      );
    }
    return this.render(registry, slug);
  }

  private render(registry: HostedRegistryState, slug: string): Promise<RenderedIndex> {
    const rendering = this.build(registry, slug);
    // Re-inserted at the end, so the first entry is the one rendered longest ago.
    this.entries.delete(registry.id);
    this.entries.set(registry.id, rendering);
    if (this.entries.size > MAX_CACHED_INDEXES) this.entries.delete(this.entries.keys().next().value!);
    rendering.catch(() => this.entries.delete(registry.id));
    return rendering;
  }

  private async build(registry: HostedRegistryState, slug: string): Promise<RenderedIndex> {
    let state = registry;
    let rows = await this.repo.chartEntries(state.id);
    // The rows must be the revision's own: a write committed between reading the revision and the
    // rows would be rendered under the older revision's ETag and time, and servers would disagree on
    // what one revision's index holds. Every write moves the revision in its own transaction, so an
    // unchanged revision after the read proves the rows are its; otherwise read again (a few times).
    for (let attempt = 0; attempt < 3; attempt++) {
      const after = await this.repo.registryState(state.id);
      if (!after || after.revision === state.revision) break;
      state = after;
      rows = await this.repo.chartEntries(state.id);
    }
    const text = renderIndex(
      rows,
      `${this.basePath}/helm/${slug}`,
      // The time of the last write, not of rendering: every server renders one revision alike, so
      // they agree on its ETag.
      new Date(state.lastWrite ?? 0),
    );
    const body = Buffer.from(text, 'utf8');
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
    return { revision: state.revision, etag, body, gzip: gzipSync(body, { level: 6 }) };
  }
}

/**
 * Helm's index format (research/protocols.md a.2): charts by name, versions newest first, relative
 * chart URLs (so the index works behind any proxy and credentials stay on this host), hex digests,
 * `serverInfo.contextPath` for `helm cm-push`.
 */
export function renderIndex(
  rows: { chart: HostedChartRow; catalog: CatalogColumns }[],
  serverContextPath: string,
  generated: Date,
): string {
  const entries = Object.fromEntries(versionsByChart(rows));
  return yaml.dump(
    {
      apiVersion: 'v1',
      entries,
      generated: generated.toISOString(),
      serverInfo: { contextPath: serverContextPath },
    },
    { lineWidth: -1, noRefs: true, sortKeys: false },
  );
}
