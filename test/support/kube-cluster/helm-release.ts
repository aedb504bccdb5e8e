import { gunzipSync, gzipSync } from 'node:zlib';
import type { ReleaseChart } from '../../../src/protocol/helm/release/release-record.js';
import type { KubeObject } from './object-store.js';

/*
 * A Helm release Secret as Helm's Secret storage driver writes it (research/kubernetes.md §3):
 * `sh.helm.release.v1.<name>.v<revision>`, type `helm.sh/release.v1`, labels name/owner/status/version,
 * and `data.release` = base64(gzip(release JSON)), which in the Secret's JSON form is base64 again.
 * For seeding clusters with releases no helm installed (brownfield discovery tests).
 */

export interface HelmReleaseJson {
  name: string;
  namespace: string;
  version: number;
  info: { status: string; [field: string]: unknown };
  [field: string]: unknown;
}

export interface HelmReleaseSecretOptions {
  /** The release JSON as Helm stores it: name, namespace, version, info.status, chart, config, manifest... */
  release: HelmReleaseJson;
  /** Leave the JSON uncompressed (Helm's decoder accepts both). */
  gzip?: boolean;
}

export function helmReleaseSecret({ release, gzip = true }: HelmReleaseSecretOptions): KubeObject {
  const json = Buffer.from(JSON.stringify(release));
  const stored = Buffer.from((gzip ? gzipSync(json) : json).toString('base64'));
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'helm.sh/release.v1',
    metadata: {
      name: `sh.helm.release.v1.${release.name}.v${release.version}`,
      namespace: release.namespace,
      labels: {
        name: release.name,
        owner: 'helm',
        status: release.info.status,
        version: String(release.version),
        modifiedAt: String(Math.floor(Date.now() / 1000)),
      },
    },
    data: { release: stored.toString('base64') },
  };
}

/** The release JSON inside a release Secret (the inverse of helmReleaseSecret). */
export function decodeHelmRelease(secret: KubeObject): Record<string, unknown> {
  const data = (secret['data'] as Record<string, string> | undefined)?.['release'];
  if (!data) throw new Error(`${secret.metadata.name ?? 'secret'} has no data.release`);
  const inner = Buffer.from(Buffer.from(data, 'base64').toString('utf8'), 'base64');
  const gzipped = inner.subarray(0, 3).equals(Buffer.from([0x1f, 0x8b, 0x08]));
  return JSON.parse((gzipped ? gunzipSync(inner) : inner).toString('utf8')) as Record<string, unknown>;
}

/** A chart as Helm keeps it inside a release: one Deployment template, `replicaCount: 1` (bytes as Buffers). */
export function releaseChart(name: string, version: string, extra: Partial<ReleaseChart> = {}): ReleaseChart {
  return {
    metadata: { apiVersion: 'v2', name, version, appVersion: '1.0.0', description: `${name} chart` },
    templates: [
      {
        name: 'templates/deployment.yaml',
        data: Buffer.from(`kind: Deployment\nmetadata:\n  name: {{ .Release.Name }}-${name}\n`),
      },
    ],
    values: { replicaCount: 1 },
    schema: null,
    files: [],
    ...extra,
  };
}

/** The release JSON Helm stores in `data.release`, for a chart (file bytes base64, as Helm writes them). */
export function helmReleaseJson(o: {
  name: string;
  namespace: string;
  revision: number;
  chart: ReleaseChart;
  status?: string;
  config?: Record<string, unknown>;
}): HelmReleaseJson {
  const file = (f: { name: string; data: Buffer }) => ({ name: f.name, data: f.data.toString('base64') });
  return {
    name: o.name,
    namespace: o.namespace,
    version: o.revision,
    info: {
      status: o.status ?? 'deployed',
      first_deployed: '2026-11-01T10:00:00Z',
      last_deployed: `2026-11-0${Math.min(o.revision, 9)}T10:00:00Z`,
      description: o.revision === 1 ? 'Install complete' : 'Upgrade complete',
    },
    chart: {
      metadata: o.chart.metadata,
      lock: null,
      templates: o.chart.templates.map(file),
      values: o.chart.values,
      schema: o.chart.schema?.toString('base64') ?? null,
      files: o.chart.files.map(file),
    },
    config: o.config ?? {},
    manifest: '---\nkind: Deployment\n',
    hooks: [],
  };
}
