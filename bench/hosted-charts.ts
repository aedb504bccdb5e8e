/**
 * Charts for the hosted-registry benchmarks: a real one from the corpus (bitnami memcached, ~28 KB
 * packaged, like most published charts) with distinct versions whose archives all differ, and tiny
 * generated ones for filling a big repository.
 */
import { gunzipSync } from 'node:zlib';
import { extract } from 'tar-stream';
import { createTar, createTgz, gzipLikeHelm, packageChartDir } from '../test/support/chart-archive.js';
import { buildHelmArtifact, type HelmArtifact } from '../test/support/oci-push.js';

const CORPUS_CHART = new URL('../../shared/corpus/charts/memcached', import.meta.url).pathname;
/** Every manifest gets the same creation time, so a version's artifact is the same in both registries. */
const CREATED = '2024-06-01T00:00:00Z';

export interface BenchChart {
  name: string;
  /** The packaged files, Chart.yaml first. */
  entries: { path: string; content: Buffer }[];
  metadata: Record<string, unknown>;
}

/** The corpus chart, packaged like `helm package` and read back into its files. */
export async function corpusChart(): Promise<BenchChart> {
  const packaged = await packageChartDir(CORPUS_CHART);
  const entries: { path: string; content: Buffer }[] = [];
  const tar = extract();
  const done = (async () => {
    for await (const entry of tar) {
      const chunks: Buffer[] = [];
      for await (const chunk of entry as AsyncIterable<Buffer>) chunks.push(chunk);
      if (entry.header.type === 'file')
        entries.push({ path: entry.header.name, content: Buffer.concat(chunks) });
    }
  })();
  tar.end(gunzipSync(packaged.tgz));
  await done;
  return { name: packaged.name, entries, metadata: packaged.metadata };
}

/**
 * Makes distinct versions of a chart quickly: helm would gzip the whole ~180 KB tar again for every
 * version (~6 ms here, too slow to prepare thousands of pushes), so the archive is two gzip members,
 * a fresh one for Chart.yaml (which carries the version) and the rest of the tar compressed once. A
 * multi-member gzip file is one valid gzip stream to every reader (RFC 1952 2.2; Go's gzip.Reader and
 * Node's zlib read through), the tar inside is byte-for-byte what `helm package` would hold, and
 * every version's layer digest is new.
 */
export class ChartVersions {
  private readonly chartYaml: { path: string; content: Buffer };
  private readonly restGzip: Buffer;

  constructor(private readonly chart: BenchChart) {
    const [first, ...rest] = chart.entries;
    if (first?.path !== `${chart.name}/Chart.yaml`) throw new Error('Chart.yaml must be the first entry');
    this.chartYaml = first;
    this.restGzip = gzipLikeHelm(createTar(rest));
  }

  /** Version `version` as helm would push it (config, manifest by that tag, layer). */
  artifact(version: string): HelmArtifact & { tgz: Buffer } {
    const content = this.chartYaml.content.toString('utf8').replace(/^version: .*$/m, `version: ${version}`);
    const head = createTar([{ path: this.chartYaml.path, content }]);
    // createTar ends every archive with two zero blocks; only the last member may.
    const tgz = Buffer.concat([gzipLikeHelm(head.subarray(0, head.length - 1024)), this.restGzip]);
    const artifact = buildHelmArtifact({
      chartTgz: tgz,
      chartJson: { ...this.chart.metadata, version },
      created: CREATED,
    });
    return { ...artifact, tgz };
  }
}

/** A minimal valid chart (Chart.yaml, values.yaml, one template): ~600 bytes packaged. */
export function tinyChart(name: string, version: string): Buffer {
  const chartYaml = [
    'apiVersion: v2',
    `name: ${name}`,
    `version: ${version}`,
    `appVersion: "${version}"`,
    `description: ${name} packaged for the index benchmark`,
    'type: application',
    'keywords:',
    '  - bench',
    `  - ${name.split('-')[0]}`,
    'maintainers:',
    '  - name: Bench Team',
    '    email: bench@example.test',
    `home: https://example.test/${name}`,
    'sources:',
    `  - https://example.test/src/${name}`,
    '',
  ].join('\n');
  return createTgz([
    { path: `${name}/Chart.yaml`, content: chartYaml },
    { path: `${name}/values.yaml`, content: `replicaCount: 1\nimage: example.test/${name}:${version}\n` },
    {
      path: `${name}/templates/configmap.yaml`,
      content: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  x: "1"\n',
    },
  ]);
}
