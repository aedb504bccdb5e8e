/**
 * Brownfield discovery benchmark (issue 15): scanHelmReleases end to end against the in-process
 * Kubernetes API test cluster, HTTPS and bearer token included.
 *
 *   node --import tsx bench/discovery.bench.ts
 *
 * Seeds 1,000 releases × 5 revisions = 5,000 release Secrets across 20 namespaces, each as Helm writes
 * it (base64 of gzip of the release JSON, base64 again in the Secret): a chart of 12 templates
 * (~1.5 KB each, with per-chart names and digests so gzip does not make them free), ~4 KB of values,
 * user values, and a manifest of 20-40 KB. Then runs the scan three times (pages of 100, batches of
 * 100 handed to a callback that only counts), and prints the median wall time, the objects and bytes
 * read, and memory: the process's peak RSS (test cluster and its store included) and the heap's peak
 * above its level before the scan (sampled every 10 ms).
 *
 * The API server runs in this process, so its JSON serialization shares the event loop with the scan:
 * the times are an upper bound for a remote cluster with the same bandwidth.
 * Settings (environment): BENCH_RELEASES (1000), BENCH_REVISIONS (5), BENCH_ROUNDS (3).
 * Goal (issue 15, matching added later): under 5 s.
 */
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { closeUpstreamDispatchers } from '../src/upstream/http-client.js';
import { openKubeApi } from '../src/upstream/kube/kube-connection.js';
import { scanHelmReleases, type ScanResult } from '../src/upstream/kube/release-scan.js';
import { helmReleaseSecret, startKubeCluster, type KubeObject } from '../test/support/kube-cluster/index.js';
import { fmt, median, table } from './load.js';

const RELEASES = Number(process.env['BENCH_RELEASES'] ?? 1000);
const REVISIONS = Number(process.env['BENCH_REVISIONS'] ?? 5);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
const NAMESPACES = 20;

const digest = (text: string) => createHash('sha256').update(text).digest('hex');

function template(chart: string, i: number): string {
  const lines = [
    `apiVersion: apps/v1`,
    `kind: Deployment`,
    `metadata:`,
    `  name: {{ include "${chart}.fullname" . }}-${i}`,
  ];
  for (let k = 0; lines.join('\n').length < 1500; k++) {
    lines.push(
      `  # ${digest(`${chart}/${i}/${k}`).slice(0, 24)}`,
      `  {{- with .Values.component${k % 7}.settings${i} }}`,
      `  setting${k}: {{ .value${k} | default "${chart}-${k}" | quote }}`,
      `  {{- end }}`,
    );
  }
  return lines.join('\n');
}

function manifest(name: string, revision: number): string {
  const target = 20_000 + (digest(name).charCodeAt(0) % 20) * 1000;
  const parts: string[] = [];
  for (let k = 0; parts.join('\n').length < target; k++) {
    parts.push(
      `---\n# Source: ${name}/templates/t${k % 12}.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}-${k}\n  labels:\n    app.kubernetes.io/instance: ${name}\n    helm.sh/chart: ${name}-1.${revision}.0\n  annotations:\n    checksum/config: ${digest(`${name}/${revision}/${k}`)}\ndata:\n  key${k}: "${digest(`${k}/${name}`).slice(0, 40)}"\n  replicas: "${(k * 7) % 13}"`,
    );
  }
  return parts.join('\n');
}

function secretsFor(index: number): KubeObject[] {
  const name = `app-${index}`;
  const namespace = `team-${index % NAMESPACES}`;
  const chartName = `chart-${index % 150}`;
  const templates = Array.from({ length: 12 }, (_, i) => ({
    name: `templates/t${i}.yaml`,
    data: Buffer.from(template(chartName, i)).toString('base64'),
  }));
  const values: Record<string, unknown> = {};
  for (let k = 0; JSON.stringify(values).length < 4000; k++) {
    values[`component${k}`] = {
      enabled: k % 2 === 0,
      image: `registry.example/${chartName}/c${k}`,
      tag: digest(`${k}`).slice(0, 12),
    };
  }
  return Array.from({ length: REVISIONS }, (_, r) =>
    helmReleaseSecret({
      release: {
        name,
        namespace,
        version: r + 1,
        info: {
          status: r + 1 === REVISIONS ? 'deployed' : 'superseded',
          first_deployed: '2024-01-01T00:00:00Z',
          last_deployed: `2024-02-0${(r % 9) + 1}T00:00:00Z`,
          description: 'Upgrade complete',
        },
        chart: {
          metadata: { name: chartName, version: `1.${r}.0`, appVersion: `2.${r}`, apiVersion: 'v2' },
          lock: null,
          templates,
          values,
          schema: null,
          files: [{ name: 'README.md', data: Buffer.from(`# ${chartName}\n`).toString('base64') }],
        },
        config: { replicaCount: r + 1, image: { tag: `v${r}` } },
        manifest: manifest(name, r + 1),
      },
    }),
  );
}

async function main(): Promise<void> {
  const cluster = await startKubeCluster();
  try {
    const seedStart = performance.now();
    let storedBytes = 0;
    for (let i = 0; i < RELEASES; i++) {
      const secrets = secretsFor(i);
      for (const s of secrets) storedBytes += (s['data'] as { release: string }).release.length;
      cluster.seed(...secrets);
    }
    console.log(
      `Seeded ${RELEASES * REVISIONS} release Secrets (${RELEASES} releases × ${REVISIONS} revisions, ${NAMESPACES} namespaces, ${(storedBytes / 1024 / 1024).toFixed(1)} MiB of data.release) in ${fmt.ms((performance.now() - seedStart) / 1000)} s`,
    );
    const api = await openKubeApi(cluster.kubeconfig, { policy: { allowPrivateEndpoints: true } });
    const times: number[] = [];
    const heapPeaks: number[] = [];
    let last: ScanResult | undefined;
    for (let round = 0; round < ROUNDS; round++) {
      global.gc?.();
      const heapBefore = process.memoryUsage().heapUsed;
      let heapPeak = heapBefore;
      const sampler = setInterval(() => {
        heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
      }, 10);
      let handed = 0;
      const started = performance.now();
      last = await scanHelmReleases(api, { pageSize: 100 }, async (batch) => {
        handed += batch.length;
      });
      times.push(performance.now() - started);
      clearInterval(sampler);
      heapPeaks.push(heapPeak - heapBefore);
      if (handed !== RELEASES || last.warnings.length > 0)
        throw new Error(
          `expected ${RELEASES} releases and no warnings, got ${handed} and ${JSON.stringify(last.warnings.slice(0, 3))}`,
        );
    }
    const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
    console.log(
      table(
        ['scan', 'objects', 'releases', 'median s', 'min s', 'max s', 'heap peak Δ', 'peak RSS'],
        [
          [
            `${RELEASES}×${REVISIONS} Secrets, pages of 100`,
            String(last!.objects),
            String(last!.releases),
            fmt.ms(median(times) / 1000),
            fmt.ms(Math.min(...times) / 1000),
            fmt.ms(Math.max(...times) / 1000),
            mib(median(heapPeaks)),
            mib(process.resourceUsage().maxRSS * 1024),
          ],
        ],
      ),
    );
  } finally {
    await cluster.close();
    await closeUpstreamDispatchers();
  }
}

await main();
