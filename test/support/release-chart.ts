import { gunzipSync } from 'node:zlib';
import { extract } from 'tar-stream';
import yaml from 'js-yaml';
import { VALUES_SCHEMA } from '../../src/protocol/helm/safe-yaml.js';
import type { ReleaseChart, ReleaseChartFile } from '../../src/protocol/helm/release/release-record.js';
import { chartMetadata, parseChartYaml } from './chart-archive.js';

/*
 * Test helpers standing in for what Helm does to a chart before storing it in a release, written from
 * helm/helm's pkg/chart/loader/archive (first path component dropped, directories skipped, a UTF-8 BOM
 * removed from every file), pkg/chart/v2/loader/load.go (where each file lands; subcharts dropped,
 * as the release JSON does not serialize them) and pkg/chart/v2/util/dependencies.go (what
 * installing rewrites), independently of the production code they test.
 */

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** The files of a chart archive as Helm's LoadArchiveFiles returns them. */
export async function archiveEntries(tgz: Buffer): Promise<ReleaseChartFile[]> {
  const tar = extract();
  const files: ReleaseChartFile[] = [];
  const done = (async () => {
    for await (const entry of tar) {
      const chunks: Buffer[] = [];
      for await (const chunk of entry as AsyncIterable<Buffer>) chunks.push(chunk);
      if (entry.header.type === 'directory') continue;
      const name = entry.header.name
        .split('/')
        .slice(1)
        .filter((p) => p !== '' && p !== '.')
        .join('/');
      let data = Buffer.concat(chunks);
      if (data.subarray(0, 3).equals(BOM)) data = data.subarray(3);
      files.push({ name, data });
    }
  })();
  tar.end(gunzipSync(tgz));
  await done;
  return files;
}

/** The chart a release stores when it was installed from this archive (Helm's LoadFiles). */
export async function releaseChartFromArchive(tgz: Buffer): Promise<ReleaseChart> {
  const entries = await archiveEntries(tgz);
  const chartYaml = entries.find((f) => f.name === 'Chart.yaml');
  if (!chartYaml) throw new Error('no Chart.yaml');
  const metadata = chartMetadata(parseChartYaml(chartYaml.data));
  if (metadata['apiVersion'] === undefined) metadata['apiVersion'] = 'v1';
  const chart: ReleaseChart = { metadata, templates: [], values: {}, schema: null, files: [] };
  for (const f of entries) {
    if (f.name === 'Chart.yaml' || f.name === 'Chart.lock') continue;
    if (f.name === 'values.yaml') {
      // Anchors allowed, as Helm allows them (alertmanager's values.yaml has some).
      chart.values = (yaml.load(f.data.toString('utf8'), { schema: VALUES_SCHEMA }) ?? {}) as Record<
        string,
        unknown
      >;
    } else if (f.name === 'values.schema.json') chart.schema = f.data;
    else if (f.name === 'requirements.yaml' || f.name === 'requirements.lock') {
      if (f.name === 'requirements.yaml') {
        const deps = chartMetadata(parseChartYaml(f.data))['dependencies'];
        if (deps !== undefined) metadata['dependencies'] = deps;
      }
      if (metadata['apiVersion'] === 'v1') chart.files.push(f);
    } else if (f.name.startsWith('templates/')) chart.templates.push(f);
    else if (f.name.startsWith('charts/')) {
      if (f.name.endsWith('.prov')) chart.files.push(f);
    } else chart.files.push(f);
  }
  return chart;
}

/**
 * What `helm install` does to the stored chart of a chart with dependencies (ProcessDependencies):
 * aliases replace names, `enabled` is set, import-values become child/parent pairs, and the values are
 * coalesced with the subcharts' defaults.
 */
export function asInstalled(chart: ReleaseChart): ReleaseChart {
  const deps = (chart.metadata['dependencies'] ?? []) as Record<string, unknown>[];
  return {
    ...chart,
    metadata: {
      ...chart.metadata,
      dependencies: deps.map((d) => ({
        ...d,
        name: d['alias'] ?? d['name'],
        enabled: true,
        ...(Array.isArray(d['import-values'])
          ? {
              'import-values': (d['import-values'] as unknown[]).map((iv) =>
                typeof iv === 'string' ? { child: `exports.${iv}`, parent: '.' } : iv,
              ),
            }
          : {}),
      })),
    },
    values: {
      ...chart.values,
      ...Object.fromEntries(deps.map((d) => [String(d['alias'] ?? d['name']), { enabled: true }])),
    },
  };
}

/** A chart as the release JSON holds it (`chart` of a decoded release: bytes in base64). */
export function releaseChartFromJson(json: {
  metadata: Record<string, unknown>;
  templates?: { name: string; data: string }[] | null;
  values?: Record<string, unknown> | null;
  schema?: string | null;
  files?: { name: string; data: string }[] | null;
}): ReleaseChart {
  const file = (f: { name: string; data: string }): ReleaseChartFile => ({
    name: f.name,
    data: Buffer.from(f.data, 'base64'),
  });
  return {
    metadata: json.metadata,
    templates: (json.templates ?? []).map(file),
    values: json.values ?? {},
    schema: json.schema ? Buffer.from(json.schema, 'base64') : null,
    files: (json.files ?? []).map(file),
  };
}
