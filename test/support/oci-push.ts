import { createHash } from 'node:crypto';
import { parseWwwAuthenticate } from '../../src/protocol/oci/www-authenticate.js';
import { chartMetadata, createTar, gzipLikeHelm } from './chart-archive.js';

/*
 * A minimal OCI distribution client for tests: it pushes Helm charts the way `helm push` does
 * (research/protocols.md b.3, b.5) and other artifacts that a Helm sync must skip (b.6).
 * Auth: anonymous first; on 401 it answers a Basic challenge with the credentials, or runs the
 * Docker token flow (GET realm?service=&scope= with Basic credentials) for a Bearer challenge.
 */

export const MEDIA_TYPES = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociImageConfig: 'application/vnd.oci.image.config.v1+json',
  ociImageLayer: 'application/vnd.oci.image.layer.v1.tar+gzip',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerImageConfig: 'application/vnd.docker.container.image.v1+json',
  dockerImageLayer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  helmConfig: 'application/vnd.cncf.helm.config.v1+json',
  helmChart: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip',
  helmProvenance: 'application/vnd.cncf.helm.chart.provenance.v1.prov',
} as const;

/** The Accept header helm sends when it pulls a manifest. */
export const MANIFEST_ACCEPT = [
  MEDIA_TYPES.dockerManifest,
  'application/vnd.docker.distribution.manifest.list.v2+json',
  MEDIA_TYPES.ociManifest,
  MEDIA_TYPES.ociIndex,
  'application/vnd.oci.artifact.manifest.v1+json',
].join(', ');

export interface OciAuth {
  username: string;
  password: string;
}

export interface OciDescriptor {
  mediaType: string;
  digest: string;
  size: number;
}

export interface PushHelmChartOptions {
  /** http://host:port (https works too) */
  registryUrl: string;
  /** Repository path including the chart name, e.g. `charts/memcached` (helm: `<oci:// path>/<name>`). */
  repository: string;
  /** Defaults to the chart version with `+` replaced by `_`, as helm does. */
  tag?: string;
  /** The exact .tgz bytes; they become the chart layer. */
  chartTgz: Buffer;
  /** Chart.yaml metadata; serialised as helm's config blob (chart.Metadata, Go JSON). */
  chartJson: Record<string, unknown>;
  /** .prov bytes: adds helm's provenance layer. */
  provenance?: Buffer;
  auth?: OciAuth;
  /** `org.opencontainers.image.created`; helm uses the current time, which is the default. */
  created?: Date | string;
  /**
   * `by-digest` (default) is Helm >= 3.18: PUT the manifest by digest, GET it, PUT it by tag.
   * `by-tag` is Helm 3.8-3.17: one PUT by tag.
   */
  manifestFlow?: 'by-digest' | 'by-tag';
}

export interface HelmArtifact {
  manifest: Buffer;
  digest: string;
  config: Buffer;
  /** Blobs to upload, config first. */
  blobs: { descriptor: OciDescriptor; data: Buffer }[];
  tag: string;
}

/** Pushes a chart as `helm push` would and returns the manifest digest. */
export async function pushHelmChart(opts: PushHelmChartOptions): Promise<string> {
  const artifact = buildHelmArtifact(opts);
  const client = new OciClient(opts.registryUrl, opts.auth);
  for (const blob of artifact.blobs)
    await client.pushBlob(opts.repository, blob.data, blob.descriptor.mediaType);
  if ((opts.manifestFlow ?? 'by-digest') === 'by-tag') {
    await client.putManifest(opts.repository, artifact.tag, artifact.manifest, MEDIA_TYPES.ociManifest);
  } else {
    if (!(await client.hasManifest(opts.repository, artifact.digest))) {
      await client.putManifest(opts.repository, artifact.digest, artifact.manifest, MEDIA_TYPES.ociManifest);
    }
    const fetched = await client.getManifest(opts.repository, artifact.digest, MEDIA_TYPES.ociManifest);
    await client.putManifest(opts.repository, artifact.tag, fetched.bytes, MEDIA_TYPES.ociManifest);
  }
  return artifact.digest;
}

/** The config blob, manifest and digest `helm push` would produce, without any I/O. */
export function buildHelmArtifact(
  opts: Omit<PushHelmChartOptions, 'registryUrl' | 'repository' | 'auth'>,
): HelmArtifact {
  const metadata = chartMetadata(opts.chartJson);
  const config = Buffer.from(goJson(metadata));
  const configDescriptor = descriptor(MEDIA_TYPES.helmConfig, config);
  const layers = [{ descriptor: descriptor(MEDIA_TYPES.helmChart, opts.chartTgz), data: opts.chartTgz }];
  if (opts.provenance) {
    layers.push({
      descriptor: descriptor(MEDIA_TYPES.helmProvenance, opts.provenance),
      data: opts.provenance,
    });
  }
  // Helm >= 3.18 sorts layers by digest, so the chart layer is not always first.
  layers.sort((a, b) => (a.descriptor.digest < b.descriptor.digest ? -1 : 1));
  const created = opts.created ?? new Date();
  const manifestObject = {
    schemaVersion: 2,
    config: configDescriptor,
    layers: layers.map((l) => l.descriptor),
    annotations: helmAnnotations(metadata, typeof created === 'string' ? created : rfc3339(created)),
  };
  const manifest = Buffer.from(goJson(manifestObject));
  const version = String(metadata['version'] ?? '');
  return {
    manifest,
    digest: sha256Digest(manifest),
    config,
    blobs: [{ descriptor: configDescriptor, data: config }, ...layers],
    tag: opts.tag ?? version.replaceAll('+', '_'),
  };
}

/** helm's generateOCIAnnotations: OCI keys from Chart.yaml, then Chart.yaml annotations (no title/version override). */
export function helmAnnotations(metadata: Record<string, unknown>, created: string): Record<string, string> {
  const out: Record<string, string> = {};
  const set = (key: string, value: unknown): void => {
    if (typeof value === 'string' && value !== '') out[key] = value;
  };
  set('org.opencontainers.image.description', metadata['description']);
  set('org.opencontainers.image.title', metadata['name']);
  set('org.opencontainers.image.version', metadata['version']);
  set('org.opencontainers.image.url', metadata['home']);
  set('org.opencontainers.image.created', created);
  const sources = metadata['sources'];
  if (Array.isArray(sources)) set('org.opencontainers.image.source', sources[0]);
  const maintainers = metadata['maintainers'];
  if (Array.isArray(maintainers) && maintainers.length > 0) {
    const authors = maintainers.map((m: Record<string, unknown>) => {
      const name = typeof m['name'] === 'string' ? m['name'] : '';
      return typeof m['email'] === 'string' && m['email'] ? `${name} (${m['email']})` : name;
    });
    set('org.opencontainers.image.authors', authors.join(', '));
  }
  const annotations = metadata['annotations'];
  if (annotations && typeof annotations === 'object') {
    for (const [key, value] of Object.entries(annotations)) {
      if (key === 'org.opencontainers.image.title' || key === 'org.opencontainers.image.version') continue;
      out[key] = String(value);
    }
  }
  // Go marshals map keys sorted.
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
}

export interface PushNonHelmArtifactOptions {
  registryUrl: string;
  repository: string;
  tag: string;
  auth?: OciAuth;
  /** `oci` (default): an OCI image manifest; `docker`: a Docker schema 2 manifest (helm cannot pull it). */
  format?: 'oci' | 'docker';
  /** e.g. cosign's `application/vnd.dev.cosign.simplesigning.v1+json`; defaults to an image config. */
  configMediaType?: string;
  config?: Buffer;
  layerMediaType?: string;
  layer?: Buffer;
}

/** Pushes something that is not a Helm chart (by default a tiny container image); returns its digest. */
export async function pushNonHelmArtifact(opts: PushNonHelmArtifactOptions): Promise<string> {
  const docker = opts.format === 'docker';
  const tar = createTar([{ path: 'hello.txt', content: 'hello from a container image\n' }]);
  const layer = opts.layer ?? gzipLikeHelm(tar);
  const config =
    opts.config ??
    Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        config: { Cmd: ['/bin/sh'] },
        rootfs: { type: 'layers', diff_ids: [sha256Digest(tar)] },
      }),
    );
  const manifestType = docker ? MEDIA_TYPES.dockerManifest : MEDIA_TYPES.ociManifest;
  const configDescriptor = descriptor(
    opts.configMediaType ?? (docker ? MEDIA_TYPES.dockerImageConfig : MEDIA_TYPES.ociImageConfig),
    config,
  );
  const layerDescriptor = descriptor(
    opts.layerMediaType ?? (docker ? MEDIA_TYPES.dockerImageLayer : MEDIA_TYPES.ociImageLayer),
    layer,
  );
  // Image builders (docker, buildkit) do write the top-level mediaType, unlike helm.
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: manifestType,
      config: configDescriptor,
      layers: [layerDescriptor],
    }),
  );
  const client = new OciClient(opts.registryUrl, opts.auth);
  await client.pushBlob(opts.repository, config, configDescriptor.mediaType);
  await client.pushBlob(opts.repository, layer, layerDescriptor.mediaType);
  return client.putManifest(opts.repository, opts.tag, manifest, manifestType);
}

export interface RequestOptions {
  headers?: Record<string, string>;
  body?: Buffer;
}

/** Just enough of the distribution API for tests, with helm's auth behaviour. */
export class OciClient {
  readonly registryUrl: string;
  readonly #auth: OciAuth | undefined;
  #basic = false;
  readonly #tokens = new Map<string, string>();

  constructor(registryUrl: string, auth?: OciAuth) {
    this.registryUrl = registryUrl.replace(/\/+$/, '');
    this.#auth = auth;
  }

  /** A request with auth handled; `pathOrUrl` is `/v2/...` or an absolute URL (upload locations). */
  async request(method: string, pathOrUrl: string, opts: RequestOptions = {}): Promise<Response> {
    const url = new URL(pathOrUrl, this.registryUrl + '/');
    const scope = scopeFor(method, url.pathname);
    const send = (authorization: string | undefined): Promise<Response> =>
      fetch(url, {
        method,
        headers: { ...opts.headers, ...(authorization ? { authorization } : {}) },
        body: opts.body,
        signal: AbortSignal.timeout(30_000),
      });
    const res = await send(this.#authorization(scope));
    if (res.status !== 401 || !this.#auth) return res;
    const challenge = res.headers.get('www-authenticate') ?? '';
    await res.body?.cancel();
    if (/^basic\b/i.test(challenge)) {
      this.#basic = true;
    } else if (/^bearer\b/i.test(challenge)) {
      this.#tokens.set(scope, await this.#fetchToken(challenge, scope));
    } else {
      throw new Error(`${method} ${url}: 401 without a usable WWW-Authenticate challenge: ${challenge}`);
    }
    return send(this.#authorization(scope));
  }

  async hasBlob(repository: string, digest: string): Promise<boolean> {
    const res = await this.request('HEAD', `/v2/${repository}/blobs/${digest}`);
    await res.body?.cancel();
    if (res.status === 200) return true;
    if (res.status === 404) return false;
    throw new Error(`HEAD blob ${repository}@${digest}: HTTP ${res.status}`);
  }

  /** helm's monolithic upload: HEAD (skip if present), POST for a session, PUT with ?digest=. */
  async pushBlob(
    repository: string,
    data: Buffer,
    mediaType = 'application/octet-stream',
  ): Promise<OciDescriptor> {
    const digest = sha256Digest(data);
    if (await this.hasBlob(repository, digest)) return { mediaType, digest, size: data.length };
    const started = await this.request('POST', `/v2/${repository}/blobs/uploads/`);
    const location = started.headers.get('location');
    if (started.status !== 202 || !location) {
      throw new Error(`POST upload ${repository}: HTTP ${started.status} ${await started.text()}`);
    }
    await started.body?.cancel();
    // Appended by hand: the location's own query (distribution's `_state`) must stay byte-for-byte.
    const target = `${location}${location.includes('?') ? '&' : '?'}digest=${encodeURIComponent(digest)}`;
    const res = await this.request('PUT', target, {
      headers: { 'content-type': 'application/octet-stream' },
      body: data,
    });
    if (res.status !== 201)
      throw new Error(`PUT blob ${repository}@${digest}: HTTP ${res.status} ${await res.text()}`);
    await res.body?.cancel();
    return { mediaType, digest, size: data.length };
  }

  async hasManifest(repository: string, reference: string): Promise<boolean> {
    const res = await this.request('HEAD', `/v2/${repository}/manifests/${reference}`, {
      headers: { accept: MANIFEST_ACCEPT },
    });
    await res.body?.cancel();
    if (res.status === 200) return true;
    if (res.status === 404) return false;
    throw new Error(`HEAD manifest ${repository}:${reference}: HTTP ${res.status}`);
  }

  /** PUTs the exact bytes and checks the registry's Docker-Content-Digest against them. */
  async putManifest(
    repository: string,
    reference: string,
    bytes: Buffer,
    mediaType: string,
  ): Promise<string> {
    const digest = sha256Digest(bytes);
    const res = await this.request('PUT', `/v2/${repository}/manifests/${reference}`, {
      headers: { 'content-type': mediaType },
      body: bytes,
    });
    if (res.status !== 201) {
      throw new Error(`PUT manifest ${repository}:${reference}: HTTP ${res.status} ${await res.text()}`);
    }
    await res.body?.cancel();
    const echoed = res.headers.get('docker-content-digest');
    if (echoed && echoed !== digest) {
      throw new Error(
        `PUT manifest ${repository}:${reference}: registry says ${echoed}, bytes hash to ${digest}`,
      );
    }
    return digest;
  }

  async getManifest(
    repository: string,
    reference: string,
    accept = MANIFEST_ACCEPT,
  ): Promise<{ bytes: Buffer; mediaType: string; digest: string }> {
    const res = await this.request('GET', `/v2/${repository}/manifests/${reference}`, {
      headers: { accept },
    });
    if (res.status !== 200) {
      throw new Error(`GET manifest ${repository}:${reference}: HTTP ${res.status} ${await res.text()}`);
    }
    const bytes = Buffer.from(await res.arrayBuffer());
    return { bytes, mediaType: res.headers.get('content-type') ?? '', digest: sha256Digest(bytes) };
  }

  async getBlob(repository: string, digest: string): Promise<Buffer> {
    const res = await this.request('GET', `/v2/${repository}/blobs/${digest}`);
    if (res.status !== 200) throw new Error(`GET blob ${repository}@${digest}: HTTP ${res.status}`);
    return Buffer.from(await res.arrayBuffer());
  }

  async listTags(repository: string): Promise<string[]> {
    const res = await this.request('GET', `/v2/${repository}/tags/list`);
    if (res.status !== 200) throw new Error(`GET tags ${repository}: HTTP ${res.status} ${await res.text()}`);
    const body = (await res.json()) as { tags?: string[] | null };
    return body.tags ?? [];
  }

  #authorization(scope: string): string | undefined {
    const token = this.#tokens.get(scope);
    if (token) return `Bearer ${token}`;
    if (this.#basic && this.#auth) {
      return `Basic ${Buffer.from(`${this.#auth.username}:${this.#auth.password}`).toString('base64')}`;
    }
    return undefined;
  }

  async #fetchToken(challenge: string, scope: string): Promise<string> {
    const params = parseChallenge(challenge);
    const realm = params['realm'];
    if (!realm) throw new Error(`Bearer challenge without realm: ${challenge}`);
    const tokenUrl = new URL(realm);
    if (params['service']) tokenUrl.searchParams.set('service', params['service']);
    const wanted = params['scope'] ?? scope;
    if (wanted) tokenUrl.searchParams.set('scope', wanted);
    const headers: Record<string, string> = {};
    if (this.#auth) {
      headers['authorization'] =
        `Basic ${Buffer.from(`${this.#auth.username}:${this.#auth.password}`).toString('base64')}`;
    }
    const res = await fetch(tokenUrl, { headers, signal: AbortSignal.timeout(30_000) });
    if (res.status !== 200)
      throw new Error(`token request ${tokenUrl}: HTTP ${res.status} ${await res.text()}`);
    const body = (await res.json()) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) throw new Error(`token request ${tokenUrl}: no token in the answer`);
    return token;
  }
}

export function sha256Digest(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** JSON as Go's encoding/json writes it: compact, with <, >, &, U+2028 and U+2029 escaped. */
export function goJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function descriptor(mediaType: string, data: Buffer): OciDescriptor {
  return { mediaType, digest: sha256Digest(data), size: data.length };
}

function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function scopeFor(method: string, pathname: string): string {
  const match = /^\/v2\/(.+?)\/(?:blobs|manifests|tags)\//.exec(pathname);
  if (!match?.[1]) return pathname === '/v2/_catalog' ? 'registry:catalog:*' : '';
  return `repository:${match[1]}:${method === 'GET' || method === 'HEAD' ? 'pull' : 'pull,push'}`;
}

/** The first challenge's parameters: fetch joins several WWW-Authenticate headers into one value. */
function parseChallenge(header: string): Record<string, string> {
  return parseWwwAuthenticate(header)?.params ?? {};
}
