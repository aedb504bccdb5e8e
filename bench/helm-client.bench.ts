/**
 * What a Helm user waits for: the real `helm push` and `helm pull` (Helm 3.17.2 and 4.1.4) against the
 * built server, side by side with Debian's docker-registry (distribution 2.8), both behind the same
 * htpasswd-style Basic sign-in (`helm registry login`), both on loopback.
 *
 *   npm run build && node --import tsx bench/helm-client.bench.ts
 *
 * Each round runs the same command against Charthouse (SQLite) and against docker-registry, in an order
 * that flips every round; a figure is the median of ROUNDS (BENCH_ROUNDS, default 9) whole helm
 * processes, start-up included (that is what a user waits for), and the ratio is the median of the
 * per-round ratios. The chart is a small one-template chart (the transfer is not what is measured:
 * helm's requests and the registry's answers are); every push is a new version.
 * Asserts nothing.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startDockerRegistry } from '../test/support/docker-registry.js';
import { helmRegistryLogin, writeChart } from '../test/support/helm-charts.js';
import { Helm, HELM_MAJORS } from '../test/support/kube-tools.js';
import { createTenant } from '../test/support/server.js';
import { startBuiltServer } from './built-server.js';

const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 9);
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function timed(helm: Helm, args: string[]): Promise<number> {
  const started = performance.now();
  await helm.ok(args);
  return performance.now() - started;
}

interface Target {
  label: string;
  host: string;
  repo: string;
}

const work = await mkdtemp(join(tmpdir(), 'charthouse-helm-bench-'));
const server = await startBuiltServer('sqlite');
await createTenant(server, 'bench');
const registry = await startDockerRegistry({ users: { 'bench-member': 'bench-member-password' } });
const charthouse: Target = { label: 'Charthouse', host: new URL(server.url).host, repo: 'bench' };
const reference: Target = { label: 'docker-registry', host: registry.host, repo: 'bench' };
console.log(`helm push / pull, ${ROUNDS} rounds, a one-template chart`);
console.log('| client | command | Charthouse (median) | docker-registry (median) | ratio |');
console.log('| --- | --- | --- | --- | --- |');
try {
  for (const major of HELM_MAJORS) {
    const helm = await Helm.start(major);
    try {
      for (const t of [charthouse, reference]) {
        await helm.ok(['registry', 'login', '--help']); // warms the binary's page cache
        const run = await helmRegistryLogin(helm, t.host, 'bench-member', 'bench-member-password');
        if (run.code !== 0) throw new Error(`login to ${t.label}: ${run.stderr}`);
      }
      const src = await writeChart(join(work, `src${major}`), { name: 'bench', version: '0.0.0' });
      const out = join(work, `out${major}`);
      for (const t of [charthouse, reference]) await mkdir(join(out, t.label), { recursive: true });
      const times: Record<'push' | 'pull', Record<string, number[]>> = {
        push: { Charthouse: [], 'docker-registry': [] },
        pull: { Charthouse: [], 'docker-registry': [] },
      };
      for (let round = 0; round < ROUNDS + 1; round++) {
        const version = `${major}.0.${round}`;
        const [tgz] = (await helm.ok(['package', src, '-d', out, '--version', version])).stdout
          .match(/saved it to: (\S+)/)!
          .slice(1);
        const order = round % 2 ? [reference, charthouse] : [charthouse, reference];
        for (const t of order) {
          const push = await timed(helm, ['push', tgz!, `oci://${t.host}/${t.repo}`, '--plain-http']);
          const pull = await timed(helm, [
            'pull',
            `oci://${t.host}/${t.repo}/bench`,
            '--version',
            version,
            '--plain-http',
            '-d',
            join(out, t.label),
          ]);
          if (round === 0) continue; // warm-up round: first connection, first token
          times.push[t.label]!.push(push);
          times.pull[t.label]!.push(pull);
        }
      }
      for (const cmd of ['push', 'pull'] as const) {
        const a = times[cmd]['Charthouse']!;
        const b = times[cmd]['docker-registry']!;
        const ratio = median(a.map((x, i) => x / b[i]!));
        console.log(
          `| helm ${helm.version} | helm ${cmd} oci:// | ${median(a).toFixed(0)} ms | ${median(b).toFixed(0)} ms | ${ratio.toFixed(2)}x |`,
        );
      }
    } finally {
      await helm.close();
    }
  }
} finally {
  await registry.stop();
  await server.close();
  await rm(work, { recursive: true, force: true });
}
