import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import yaml from 'js-yaml';
import { buildHelmArtifact, MEDIA_TYPES, sha256Digest } from './oci-push.js';
import { basic, chartTgz } from './hosted.js';
import { waitFor } from './wait.js';

/*
 * Load and checks for the database-outage tests (test/api/database-outage.test.ts): clients of every
 * protocol that keep working while the database goes away, and check each answer as it comes, so a
 * 500, a wrongly shaped 503 or a dropped connection is caught where it happened.
 */

export type Protocol = 'json' | 'oci' | 'helm' | 'ops';

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

/** Every answer a client saw, and what was wrong with any of them. */
export class Observations {
  readonly counts = new Map<string, number>();
  readonly problems: string[] = [];
  unavailable = 0;

  /**
   * One request: a fetch that fails without a status (a dropped connection) is a problem; so is any
   * status outside `ok` other than a 503 in `protocol`'s own error shape with Retry-After.
   */
  async call(
    protocol: Protocol,
    what: string,
    url: string,
    init: RequestInit,
    ok: readonly number[],
  ): Promise<Answer | null> {
    let res: Response;
    let text: string;
    try {
      res = await fetch(url, { ...init, signal: AbortSignal.timeout(60_000) });
      text = await res.text();
    } catch (err) {
      this.problems.push(`${what}: no answer (${(err as Error).message})`);
      return null;
    }
    this.count(`${what} ${res.status}`);
    if (ok.includes(res.status)) return { status: res.status, headers: res.headers, text };
    if (res.status !== 503) {
      this.problems.push(`${what}: HTTP ${res.status} ${text.slice(0, 300)}`);
      return { status: res.status, headers: res.headers, text };
    }
    this.unavailable += 1;
    const problem = unavailableShapeProblem(protocol, init.method ?? 'GET', res.headers, text);
    if (problem) this.problems.push(`${what}: 503 ${problem}: ${text.slice(0, 300)}`);
    return { status: res.status, headers: res.headers, text };
  }

  count(key: string): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  summary(): string {
    return [...this.counts.entries()]
      .sort()
      .map(([k, n]) => `${k} ×${n}`)
      .join(', ');
  }
}

/** What is wrong with a 503 in `protocol`'s dialect, or null when it is right. */
export function unavailableShapeProblem(
  protocol: Protocol,
  method: string,
  headers: Headers,
  text: string,
): string | null {
  if (protocol === 'ops') {
    const body = parse(text) as { status?: unknown } | null;
    return body?.status === 'unavailable' ? null : 'not the readiness shape';
  }
  if (!/^\d+$/.test(headers.get('retry-after') ?? '')) return 'without Retry-After';
  if (method === 'HEAD') return null;
  const body = parse(text);
  if (protocol === 'json') {
    const error = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
    if (error?.code !== 'database_unavailable') return 'without code database_unavailable';
    if (typeof error.message !== 'string' || /\bat .+:\d+:\d+/.test(error.message))
      return 'without a plain message';
    return null;
  }
  if (protocol === 'oci') {
    const first = (body as { errors?: Array<{ code?: unknown; message?: unknown }> } | null)?.errors?.[0];
    return first?.code === 'UNAVAILABLE' && typeof first.message === 'string'
      ? null
      : 'not {"errors":[{"code":"UNAVAILABLE"}]}';
  }
  const error = (body as { error?: unknown } | null)?.error;
  return typeof error === 'string' && !/\bat .+:\d+:\d+/.test(error) ? null : 'not {"error":"..."}';
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

export interface HostedClient {
  url: string;
  tenant: string;
  /** `<tenant>-member`, who pushes and pulls with Basic credentials. */
  username: string;
  /** A session token of the same user, for the JSON API. */
  token: string;
}

/** A ChartMuseum upload of `name` `version`; true when it answered 201. */
export async function pushArchive(
  o: Observations,
  c: HostedClient,
  name: string,
  version: string,
): Promise<boolean> {
  const res = await o.call(
    'helm',
    'chartmuseum push',
    `${c.url}/helm/${c.tenant}/api/charts`,
    {
      method: 'POST',
      headers: { authorization: basic(c.username), 'content-type': 'application/gzip' },
      body: chartTgz(name, version),
    },
    [201],
  );
  return res?.status === 201;
}

/**
 * `helm push` of `name` `version` over OCI, step by step with Basic credentials (config blob, chart
 * layer, manifest by tag); stops at the first step that fails. True when the manifest was stored.
 */
export async function pushOci(
  o: Observations,
  c: HostedClient,
  name: string,
  version: string,
): Promise<boolean> {
  const repository = `${c.tenant}/${name}`;
  const artifact = buildHelmArtifact({
    chartTgz: chartTgz(name, version),
    chartJson: { apiVersion: 'v2', name, version, description: `${name} for tests` },
  });
  for (const blob of artifact.blobs) {
    if (!(await pushBlob(o, c, repository, blob.data))) return false;
  }
  const authorization = basic(c.username);
  const manifest = await o.call(
    'oci',
    'oci manifest put',
    `${c.url}/v2/${repository}/manifests/${artifact.tag}`,
    {
      method: 'PUT',
      headers: { authorization, 'content-type': MEDIA_TYPES.ociManifest },
      body: artifact.manifest,
    },
    [201],
  );
  return manifest?.status === 201;
}

/** A monolithic OCI blob upload (POST for a session, PUT with the digest); true when stored. */
export async function pushBlob(
  o: Observations,
  c: HostedClient,
  repository: string,
  data: Buffer,
): Promise<boolean> {
  const authorization = basic(c.username);
  const started = await o.call(
    'oci',
    'oci upload start',
    `${c.url}/v2/${repository}/blobs/uploads/`,
    { method: 'POST', headers: { authorization } },
    [202],
  );
  const location = started?.status === 202 ? started.headers.get('location') : null;
  if (!location) return false;
  const target = new URL(location, c.url);
  target.searchParams.set('digest', sha256Digest(data));
  const put = await o.call(
    'oci',
    'oci blob put',
    target.toString(),
    {
      method: 'PUT',
      headers: { authorization, 'content-type': 'application/octet-stream' },
      body: data,
    },
    [201],
  );
  return put?.status === 201;
}

/**
 * GET an OCI blob. A complete answer must hold exactly `expected`; a 503 must be in the spec's shape;
 * a response cut off midway (the database connection lost while its pieces stream out of PostgreSQL)
 * is counted as `aborted`: after the headers that is the only honest way to fail.
 */
export async function pullBlob(
  o: Observations,
  c: HostedClient,
  repository: string,
  expected: Buffer,
): Promise<'ok' | 'unavailable' | 'aborted' | 'wrong'> {
  const what = 'oci blob pull';
  const digest = sha256Digest(expected);
  let res: Response;
  try {
    res = await fetch(`${c.url}/v2/${repository}/blobs/${digest}`, {
      headers: { authorization: basic(c.username) },
      signal: AbortSignal.timeout(60_000),
    });
  } catch (err) {
    o.problems.push(`${what}: no answer (${(err as Error).message})`);
    return 'wrong';
  }
  if (res.status === 200) {
    let body: Buffer;
    try {
      body = Buffer.from(await res.arrayBuffer());
    } catch {
      o.count(`${what} aborted`);
      return 'aborted';
    }
    o.count(`${what} 200`);
    if (body.equals(expected)) return 'ok';
    o.problems.push(`${what}: 200 with ${body.length} bytes that are not the blob`);
    return 'wrong';
  }
  const text = await res.text();
  o.count(`${what} ${res.status}`);
  const problem =
    res.status === 503 ? unavailableShapeProblem('oci', 'GET', res.headers, text) : `HTTP ${res.status}`;
  if (problem) {
    o.problems.push(`${what}: ${problem}: ${text.slice(0, 300)}`);
    return 'wrong';
  }
  o.unavailable += 1;
  return 'unavailable';
}

/** A catalog search in the tenant's scope (JSON API). */
export async function search(o: Observations, c: HostedClient, q: string): Promise<boolean> {
  const res = await o.call(
    'json',
    'catalog search',
    `${c.url}/api/v1/tenants/${c.tenant}/charts?q=${encodeURIComponent(q)}`,
    { headers: { authorization: `Bearer ${c.token}` } },
    [200],
  );
  return res?.status === 200;
}

export async function readyz(o: Observations, url: string): Promise<number | null> {
  const res = await o.call('ops', 'readyz', `${url}/readyz`, {}, [200]);
  return res?.status ?? null;
}

/**
 * Runs `step` over and over (each call gets the next sequence number) until `stop` is called; `stop`
 * resolves when the step in progress has finished.
 */
export function loop(step: (n: number) => Promise<unknown>): { stop: () => Promise<void> } {
  let running = true;
  const done = (async () => {
    for (let n = 0; running; n += 1) {
      await step(n);
      // A breath between requests: many failing fast must not starve the rest of the test.
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await done;
    },
  };
}

/** Polls `probe` until it answers true; fails after `timeoutMs` (a generous liveness bound). */
export async function eventually(
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs = 60_000,
): Promise<void> {
  await waitFor(probe, { what, timeoutMs, intervalMs: 100 });
}

interface IndexDoc {
  entries?: Record<string, Array<{ version: string; digest?: string; urls: string[] }>>;
}

/**
 * Every view of a tenant's hosted registry lists the same versions of `charts` once the database is
 * back: index.yaml (and each archive it names downloads with its digest), the ChartMuseum API, the JSON
 * API's chart detail, the catalog search, OCI tags/list (each tag's manifest readable) and the OCI
 * catalog. A version visible in one view and not another would be a half-written push. Returns the
 * versions per chart.
 */
export async function assertHostedViewsAgree(
  c: HostedClient,
  charts: readonly string[],
): Promise<Map<string, string[]>> {
  const authorization = basic(c.username);
  const get = async (path: string, headers: Record<string, string> = {}): Promise<Response> => {
    const res = await fetch(`${c.url}${path}`, { headers: { authorization, ...headers } });
    return res;
  };
  const json = async <T>(path: string, headers: Record<string, string> = {}): Promise<T> => {
    const res = await get(path, headers);
    const text = await res.text();
    assert.equal(res.status, 200, `GET ${path}: ${text.slice(0, 300)}`);
    return JSON.parse(text) as T;
  };
  const sorted = (xs: Iterable<string>): string[] => [...xs].sort();

  const indexRes = await get(`/helm/${c.tenant}/index.yaml`);
  assert.equal(indexRes.status, 200);
  const index = yaml.load(await indexRes.text()) as IndexDoc;
  const museum = await json<Record<string, Array<{ version: string }>>>(`/helm/${c.tenant}/api/charts`);
  const catalog = await json<{ repositories: string[] }>('/v2/_catalog');

  const result = new Map<string, string[]>();
  for (const chart of charts) {
    const entries = index.entries?.[chart] ?? [];
    const fromIndex = sorted(entries.map((e) => e.version));
    const fromMuseum = sorted((museum[chart] ?? []).map((v) => v.version));
    assert.deepEqual(fromMuseum, fromIndex, `${chart}: ChartMuseum API and index.yaml`);

    const detail = await get(`/api/v1/tenants/${c.tenant}/registries/helm/hosted/charts/${chart}`, {
      authorization: `Bearer ${c.token}`,
    });
    const fromJson =
      detail.status === 404
        ? []
        : sorted(
            ((await detail.json()) as { versions: Array<{ version: string }> }).versions.map(
              (v) => v.version,
            ),
          );
    if (detail.status !== 404) assert.equal(detail.status, 200);
    assert.deepEqual(fromJson, fromIndex, `${chart}: JSON API and index.yaml`);

    const found = await json<{
      items: Array<{ name: string; latestVersion: string; versionCount: number; registry: { kind: string } }>;
    }>(`/api/v1/tenants/${c.tenant}/charts?q=${chart}`, { authorization: `Bearer ${c.token}` });
    const summary = found.items.find((i) => i.name === chart && i.registry.kind === 'hosted');
    assert.equal(summary?.versionCount ?? 0, fromIndex.length, `${chart}: catalog search count`);

    const tagsRes = await get(`/v2/${c.tenant}/${chart}/tags/list`);
    const tags =
      tagsRes.status === 404 ? [] : (((await tagsRes.json()) as { tags?: string[] | null }).tags ?? []);
    assert.deepEqual(
      sorted(tags.map((t) => t.replaceAll('_', '+'))),
      fromIndex,
      `${chart}: OCI tags and index.yaml`,
    );
    assert.equal(
      catalog.repositories.includes(`${c.tenant}/${chart}`),
      fromIndex.length > 0,
      `${chart}: OCI catalog`,
    );

    // The bytes behind each version were written with it.
    for (const entry of entries) {
      const archive = await get(`/helm/${c.tenant}/${entry.urls[0]}`);
      assert.equal(archive.status, 200, `${chart} ${entry.version}: archive`);
      const digest = createHash('sha256')
        .update(Buffer.from(await archive.arrayBuffer()))
        .digest('hex');
      assert.equal(digest, entry.digest, `${chart} ${entry.version}: archive digest`);
    }
    for (const tag of tags) {
      const manifest = await get(`/v2/${c.tenant}/${chart}/manifests/${tag}`, {
        accept: MEDIA_TYPES.ociManifest,
      });
      const bytes = Buffer.from(await manifest.arrayBuffer());
      assert.equal(manifest.status, 200, `${chart}:${tag}: manifest`);
      assert.equal(manifest.headers.get('docker-content-digest'), sha256Digest(bytes));
    }
    result.set(chart, fromIndex);
  }
  return result;
}
