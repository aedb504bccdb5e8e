import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import {
  applyHelmLayers,
  type AppliedLayer,
  type HelmApplyOptions,
  type HelmLayer,
  type LayerOutcome,
} from '../../src/agent/helm-apply.js';
import { packageChartDir } from '../support/chart-archive.js';
import { writeChart } from '../support/helm-charts.js';
import { startKubeCluster, type KubeCluster } from '../support/kube-cluster/index.js';
import { Helm, HELM_MAJORS, helmVersion, kubectlBinary } from '../support/kube-tools.js';
import { runTool } from '../support/skopeo.js';

/*
 * The agent's `--apply` with the real helm 3.17.2 and 4.1.4 against the test cluster: layers in install
 * order, idempotent re-runs (no new release revisions), a failed layer stopping its dependents, a plan
 * change stopping the run between layers, and a helm killed mid-install or mid-upgrade (the cluster
 * holds a request unanswered) converging on the next run. One cluster per Helm major.
 */

interface Archive {
  path: string;
  digest: string;
}

/** Packages a chart whose `<release>-greeting` ConfigMap carries `.Values.greeting`. */
async function archive(dir: string, name: string, template?: string): Promise<Archive> {
  const chart = await writeChart(dir, { name, version: '1.0.0', greeting: 'default' });
  if (template) await writeFile(join(chart, 'templates', 'configmap.yaml'), template);
  const packaged = await packageChartDir(chart);
  const path = join(dir, packaged.fileName);
  await writeFile(path, packaged.tgz);
  return { path, digest: `sha256:${createHash('sha256').update(packaged.tgz).digest('hex')}` };
}

function layer(
  profile: string,
  name: string,
  chart: Archive,
  fields: Partial<HelmLayer> & { namespace: string },
): HelmLayer {
  return {
    key: `${profile}/${name}`,
    profile,
    layer: name,
    releaseName: `${profile}-${name}`,
    createNamespace: false,
    archivePath: chart.path,
    digest: chart.digest,
    values: {},
    dependsOn: [],
    ...fields,
  };
}

interface RecordingHelm {
  /** The wrapper to run instead of helm. */
  helm: string;
  /** The pid of the helm running now (or last). */
  pid(): Promise<number>;
  /** Every command line, one per run. */
  commandLines(): Promise<string[]>;
  /** The permission bits of every --values file, as helm found it. */
  valuesModes(): Promise<string[]>;
}

/**
 * A shell script in front of the real helm that records its pid, its command line and the mode of the
 * values file it is given, then `exec`s helm (same pid, so killing it kills helm).
 */
async function recordingHelm(dir: string, binary: string): Promise<RecordingHelm> {
  const [pidFile, argsFile, modesFile, script] = ['pid', 'args', 'modes', 'helm-recorder'].map((f) =>
    join(dir, f),
  );
  await writeFile(
    script!,
    [
      '#!/bin/sh',
      `echo $$ > '${pidFile}'`,
      `printf '%s\\n' "$*" >> '${argsFile}'`,
      'previous=',
      'for arg in "$@"; do',
      `  if [ "$previous" = --values ]; then stat -c %a "$arg" >> '${modesFile}'; fi`,
      '  previous=$arg',
      'done',
      `exec '${binary}' "$@"`,
      '',
    ].join('\n'),
  );
  await chmod(script!, 0o755);
  const lines = async (file: string) =>
    (await readFile(file, 'utf8').catch(() => '')).split('\n').filter(Boolean);
  return {
    helm: script!,
    pid: async () => Number((await readFile(pidFile!, 'utf8')).trim()),
    commandLines: () => lines(argsFile!),
    valuesModes: () => lines(modesFile!),
  };
}

/** Whether a process runs: not gone, and not a zombie (an orphan's exit may never be collected here). */
async function running(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== '' && state !== 'Z';
}

function states(outcomes: readonly LayerOutcome[]): string[] {
  return outcomes.map(
    (o) => `${o.key} ${o.state}${o.state === 'installed' ? ` r${o.release.revision}` : ''}`,
  );
}

for (const major of HELM_MAJORS) {
  describe(`charthouse agent --apply with helm ${helmVersion(major)}`, () => {
    let cluster: KubeCluster;
    let helm: Helm;
    let dir: string;
    let options: HelmApplyOptions;
    let recorder: RecordingHelm;
    let charts: Record<'base' | 'mid' | 'top' | 'failing', Archive>;
    const infra = `infra-h${major}`;

    before(async () => {
      cluster = await startKubeCluster();
      helm = await Helm.start(major);
      dir = await mkdtemp(join(tmpdir(), `charthouse-apply-h${major}-`));
      charts = {
        base: await archive(dir, 'base'),
        mid: await archive(dir, 'mid'),
        top: await archive(dir, 'top'),
        failing: await archive(dir, 'failing', '{{ fail (printf "refusing token %s" .Values.token) }}\n'),
      };
      options = { helm: helm.binary, kubeconfig: cluster.kubeconfigPath, workDir: join(dir, 'work') };
      recorder = await recordingHelm(dir, helm.binary);
    });

    after(async () => {
      await helm?.close();
      await cluster?.close();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    const chain = (greeting = 'hello'): HelmLayer[] => [
      layer('web', 'base', charts.base, { namespace: infra, createNamespace: true }),
      layer('web', 'mid', charts.mid, {
        namespace: 'default',
        values: { greeting },
        dependsOn: ['base'],
      }),
      layer('web', 'top', charts.top, { namespace: 'default', dependsOn: ['mid'] }),
    ];

    async function helmList(): Promise<
      { name: string; namespace: string; revision: string; status: string }[]
    > {
      const run = await helm.ok(['list', '-A', '-o', 'json', '--kubeconfig', cluster.kubeconfigPath]);
      return JSON.parse(run.stdout) as {
        name: string;
        namespace: string;
        revision: string;
        status: string;
      }[];
    }

    async function history(
      release: string,
      namespace: string,
    ): Promise<{ revision: number; status: string }[]> {
      const run = await helm.ok([
        'history',
        release,
        '-n',
        namespace,
        '-o',
        'json',
        '--kubeconfig',
        cluster.kubeconfigPath,
      ]);
      return (JSON.parse(run.stdout) as { revision: number; status: string }[]).map((h) => ({
        revision: h.revision,
        status: h.status,
      }));
    }

    function releaseSecrets(): string[] {
      return cluster
        .list('secrets', { labelSelector: 'owner=helm' })
        .map((s) => `${s.metadata.namespace}/${s.metadata.name}`)
        .sort();
    }

    it('installs a dependsOn chain in order, creating the namespace it asks for', async () => {
      const reported: AppliedLayer[] = [];
      const result = await applyHelmLayers(chain(), { ...options, onLayer: (o) => void reported.push(o) });
      assert.equal(result.stopped, false);
      assert.deepEqual(states(result.layers), [
        'web/base installed r1',
        'web/mid installed r1',
        'web/top installed r1',
      ]);
      assert.deepEqual(
        reported.map((o) => o.key),
        ['web/base', 'web/mid', 'web/top'],
      );
      assert.deepEqual(result.layers[0], {
        key: 'web/base',
        profile: 'web',
        layer: 'base',
        state: 'installed',
        changed: true,
        release: { name: 'web-base', namespace: infra, revision: 1, status: 'deployed' },
      });

      // helm wrote the release records in install order.
      const firstWrites = ['web-base', 'web-mid', 'web-top'].map((name) =>
        cluster.requests.findIndex(
          (r) =>
            r.method === 'POST' &&
            r.path.endsWith('/secrets') &&
            r.body.includes(`sh.helm.release.v1.${name}.v1`),
        ),
      );
      assert.ok(
        0 <= firstWrites[0]! && firstWrites[0]! < firstWrites[1]! && firstWrites[1]! < firstWrites[2]!,
      );

      const listed = (await helmList()).map((r) => [r.name, r.namespace, r.revision, r.status]).sort();
      assert.deepEqual(listed, [
        ['web-base', infra, '1', 'deployed'],
        ['web-mid', 'default', '1', 'deployed'],
        ['web-top', 'default', '1', 'deployed'],
      ]);
      const kubectl = await runTool(
        await kubectlBinary(major),
        [
          '--kubeconfig',
          cluster.kubeconfigPath,
          'get',
          'configmap',
          'web-mid-greeting',
          '-n',
          'default',
          '-o',
          'json',
        ],
        { env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: cluster.home } },
      );
      assert.equal(kubectl.code, 0, kubectl.stderr);
      assert.deepEqual((JSON.parse(kubectl.stdout) as { data: unknown }).data, { greeting: 'hello' });
      assert.ok(cluster.get('namespaces', undefined, infra));
      assert.ok(cluster.get('configmaps', infra, 'web-base-greeting'));

      // The values file is gone once helm has read it.
      assert.deepEqual(
        (await readdir(join(options.workDir, 'helm'))).filter((f) => f.startsWith('values-')),
        [],
      );
    });

    it('changes nothing when run again with the same plan', async () => {
      const before = releaseSecrets();
      const result = await applyHelmLayers(chain(), options);
      assert.deepEqual(
        result.layers.map(
          (o) => o.state === 'installed' && [o.changed, o.release.revision, o.release.status],
        ),
        [
          [false, 1, 'deployed'],
          [false, 1, 'deployed'],
          [false, 1, 'deployed'],
        ],
      );
      assert.deepEqual(releaseSecrets(), before);
      assert.deepEqual(await history('web-mid', 'default'), [{ revision: 1, status: 'deployed' }]);
    });

    it('changed values make exactly one new revision, of that layer only', async () => {
      const result = await applyHelmLayers(chain('bonjour'), options);
      assert.deepEqual(states(result.layers), [
        'web/base installed r1',
        'web/mid installed r2',
        'web/top installed r1',
      ]);
      assert.deepEqual(await history('web-mid', 'default'), [
        { revision: 1, status: 'superseded' },
        { revision: 2, status: 'deployed' },
      ]);
      assert.deepEqual(cluster.get('configmaps', 'default', 'web-mid-greeting')?.['data'], {
        greeting: 'bonjour',
      });

      // Back to the chart's defaults: `{}` must not keep the previous values (helm's default on upgrade).
      const defaults = chain();
      defaults[1]!.values = {};
      const reset = await applyHelmLayers(defaults, options);
      assert.deepEqual(states(reset.layers), [
        'web/base installed r1',
        'web/mid installed r3',
        'web/top installed r1',
      ]);
      assert.deepEqual(cluster.get('configmaps', 'default', 'web-mid-greeting')?.['data'], {
        greeting: 'default',
      });
      assert.deepEqual(
        (await applyHelmLayers(defaults, options)).layers.map((o) => o.state === 'installed' && o.changed),
        [false, false, false],
      );
    });

    it('a failed layer stops the layers that depend on it, and says why; independent layers still install', async () => {
      const token = 'tok-4f1c9a8e-very-secret';
      const from = cluster.requests.length;
      const result = await applyHelmLayers(
        [
          layer('jobs', 'nons', charts.base, { namespace: `absent-h${major}` }),
          layer('jobs', 'after', charts.mid, { namespace: 'default', dependsOn: ['nons'] }),
          layer('jobs', 'last', charts.top, { namespace: 'default', dependsOn: ['after'] }),
          layer('jobs', 'broken', charts.failing, { namespace: 'default', values: { token } }),
          layer('jobs', 'solo', charts.top, { namespace: 'default' }),
          layer('jobs', 'user', charts.mid, { namespace: 'default', dependsOn: ['solo', 'broken'] }),
        ],
        options,
      );
      const [nons, afterIt, last, broken, solo, user] = result.layers;
      assert.equal(nons?.state, 'failed');
      assert.match(
        nons.reason,
        new RegExp(`^installing jobs-nons: .*namespaces "absent-h${major}" not found$`),
      );
      assert.deepEqual(afterIt, {
        key: 'jobs/after',
        profile: 'jobs',
        layer: 'after',
        state: 'failed',
        reason: `not installed: depends on nons, which failed: ${nons.reason}`,
      });
      assert.equal(last?.state, 'failed');
      assert.equal(last.reason, `not installed: depends on after, which failed: ${afterIt.reason}`);

      assert.equal(broken?.state, 'failed');
      assert.match(broken.reason, /^installing jobs-broken: .*refusing token \*\*\*/);
      assert.doesNotMatch(broken.reason, /tok-4f1c9a8e/);
      assert.ok(!broken.reason.includes('\n'));

      assert.equal(solo?.state, 'installed');
      assert.equal(user?.state, 'failed');
      assert.match(user.reason, /^not installed: depends on broken, which failed: installing jobs-broken: /);

      // helm never ran for the blocked layers: the cluster never heard of their releases.
      const mentioned = cluster.requests
        .slice(from)
        .filter((r) =>
          /jobs-(after|last|user)\b/.test(`${r.path}?${new URLSearchParams(r.query).toString()}`),
        );
      assert.deepEqual(mentioned, []);
      assert.deepEqual(
        (await helmList()).filter((r) => r.name.startsWith('jobs-')).map((r) => r.name),
        ['jobs-solo'],
      );
    });

    it('hands values to helm in a 0600 file, never on its command line', async () => {
      const secret = 'pw-7c2d0f1e-never-on-argv';
      const result = await applyHelmLayers(
        [layer('vals', 'secretive', charts.mid, { namespace: 'default', values: { greeting: secret } })],
        { ...options, helm: recorder.helm },
      );
      assert.deepEqual(states(result.layers), ['vals/secretive installed r1']);
      assert.deepEqual(cluster.get('configmaps', 'default', 'vals-secretive-greeting')?.['data'], {
        greeting: secret,
      });
      const lines = await recorder.commandLines();
      assert.ok(lines.some((l) => l.startsWith('upgrade --install vals-secretive ')));
      assert.ok(lines.every((l) => !l.includes(secret)));
      assert.deepEqual(await recorder.valuesModes(), ['600']);
    });

    it('stops between layers when the plan changes: the rest are not attempted', async () => {
      let finished = 0;
      const result = await applyHelmLayers(
        [
          layer('stop', 'one', charts.base, { namespace: 'default' }),
          layer('stop', 'two', charts.mid, { namespace: 'default', dependsOn: ['one'] }),
          layer('stop', 'three', charts.top, { namespace: 'default' }),
        ],
        { ...options, onLayer: () => void finished++, shouldStop: () => finished >= 1 },
      );
      assert.equal(result.stopped, true);
      assert.deepEqual(states(result.layers), [
        'stop/one installed r1',
        'stop/two not-attempted',
        'stop/three not-attempted',
      ]);
      assert.equal(finished, 1);
      assert.deepEqual(
        (await helmList()).filter((r) => r.name.startsWith('stop-')).map((r) => r.name),
        ['stop-one'],
      );
    });

    it('ends the helm a killed agent left running, then converges', async () => {
      const namespace = `orphan-h${major}`;
      const victim = [layer('orphan', 'victim', charts.mid, { namespace, createNamespace: true })];
      // Hold the first ConfigMap write only: the orphan stays stuck on it, the next run's passes.
      let held = 0;
      const hang = cluster.hang(
        (r) =>
          r.method !== 'GET' &&
          r.path.startsWith(`/api/v1/namespaces/${namespace}/configmaps`) &&
          held++ === 0,
      );
      try {
        // The agent in a process of its own, killed while its helm waits on the cluster.
        const agent = spawn(
          process.execPath,
          [
            '--import',
            'tsx',
            '--input-type=module',
            '-e',
            `import { applyHelmLayers } from ${JSON.stringify(fileURLToPath(new URL('../../src/agent/helm-apply.ts', import.meta.url)))};\n` +
              'const { layers, options } = JSON.parse(process.argv[1]);\n' +
              'await applyHelmLayers(layers, options);\n',
            JSON.stringify({ layers: victim, options: { ...options, helm: recorder.helm } }),
          ],
          { cwd: fileURLToPath(new URL('../..', import.meta.url)), stdio: 'ignore' },
        );
        const exited = new Promise((resolve) => agent.on('exit', resolve));
        await hang.arrived;
        agent.kill('SIGKILL');
        await exited;
        const orphan = await recorder.pid();
        assert.equal(await running(orphan), true, 'the orphaned helm is still running');
        assert.deepEqual(await history('orphan-victim', namespace), [
          { revision: 1, status: 'pending-install' },
        ]);

        const result = await applyHelmLayers(victim, options);
        assert.deepEqual(result.orphansEnded, [orphan]);
        assert.equal(await running(orphan), false);
        assert.deepEqual(states(result.layers), [
          `orphan/victim installed r${(await history('orphan-victim', namespace)).at(-1)!.revision}`,
        ]);
        assert.equal((await history('orphan-victim', namespace)).at(-1)!.status, 'deployed');
        assert.ok(cluster.get('configmaps', namespace, 'orphan-victim-greeting'));
      } finally {
        hang.release();
      }
    });

    it('ends helm at the deadline: helm marks the release failed, and the next run upgrades it', async () => {
      const namespace = `slow-h${major}`;
      const slow = [layer('slow', 'layer', charts.mid, { namespace, createNamespace: true })];
      const hang = cluster.hang(
        (r) => r.method !== 'GET' && r.path.startsWith(`/api/v1/namespaces/${namespace}/configmaps`),
      );
      const [timedOut] = (await applyHelmLayers(slow, { ...options, timeoutMs: 4000 })).layers;
      hang.release();
      assert.equal(timedOut?.state, 'failed');
      // SIGTERM first: helm cancels and records the release as failed, not pending.
      assert.match(
        timedOut.reason,
        /^installing slow-layer: helm did not finish within 4 s \(.*context canceled\)$/,
      );
      assert.deepEqual(timedOut.release, { name: 'slow-layer', namespace, revision: 1, status: 'failed' });
      assert.deepEqual(states((await applyHelmLayers(slow, options)).layers), ['slow/layer installed r2']);
    });

    it('converges after helm is killed mid-install and mid-upgrade', async () => {
      const namespace = `killed-h${major}`;
      const victim = (greeting: string) => [
        layer('crash', 'victim', charts.mid, { namespace, createNamespace: true, values: { greeting } }),
      ];

      const killDuring = async (greeting: string): Promise<LayerOutcome[]> => {
        // Hold helm's first write of a ConfigMap: the release record is already pending by then.
        const hang = cluster.hang(
          (r) => r.method !== 'GET' && r.path.startsWith(`/api/v1/namespaces/${namespace}/configmaps`),
        );
        const run = applyHelmLayers(victim(greeting), { ...options, helm: recorder.helm });
        await hang.arrived;
        process.kill(await recorder.pid(), 'SIGKILL');
        const { layers } = await run;
        hang.release();
        return layers;
      };

      const [install] = await killDuring('first');
      assert.equal(install?.state, 'failed');
      assert.match(install.reason, /^installing crash-victim: helm was ended by SIGKILL/);
      assert.deepEqual(await history('crash-victim', namespace), [
        { revision: 1, status: 'pending-install' },
      ]);

      const recovered = await applyHelmLayers(victim('first'), options);
      assert.deepEqual(states(recovered.layers), ['crash/victim installed r1']);
      assert.deepEqual(await history('crash-victim', namespace), [{ revision: 1, status: 'deployed' }]);
      assert.deepEqual(cluster.get('configmaps', namespace, 'crash-victim-greeting')?.['data'], {
        greeting: 'first',
      });

      const [upgrade] = await killDuring('second');
      assert.equal(upgrade?.state, 'failed');
      assert.deepEqual(await history('crash-victim', namespace), [
        { revision: 1, status: 'deployed' },
        { revision: 2, status: 'pending-upgrade' },
      ]);

      const converged = await applyHelmLayers(victim('second'), options);
      // Rollback to 1 (revision 3), then the upgrade (revision 4).
      assert.deepEqual(states(converged.layers), ['crash/victim installed r4']);
      assert.deepEqual(
        (await history('crash-victim', namespace)).map((h) => h.status),
        ['superseded', 'pending-upgrade', 'superseded', 'deployed'],
      );
      assert.deepEqual(cluster.get('configmaps', namespace, 'crash-victim-greeting')?.['data'], {
        greeting: 'second',
      });
      const again = await applyHelmLayers(victim('second'), options);
      assert.deepEqual(
        again.layers.map((o) => o.state === 'installed' && [o.changed, o.release.revision]),
        [[false, 4]],
      );
    });
  });
}
