import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { applyHelmLayers, type HelmLayer } from './helm-apply.js';

/*
 * What applyHelmLayers decides before helm has a say: a missing archive, a helm that cannot start,
 * dependencies that failed or are not in the plan. With a real helm and cluster:
 * test/kube/agent-helm-apply.test.ts.
 */

describe('applyHelmLayers without a cluster', () => {
  let dir: string;
  let archive: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'charthouse-helm-apply-'));
    archive = join(dir, 'chart-1.0.0.tgz');
    await writeFile(archive, 'not read: helm never starts');
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const layer = (name: string, fields: Partial<HelmLayer> = {}): HelmLayer => ({
    key: `p/${name}`,
    profile: 'p',
    layer: name,
    releaseName: name,
    namespace: 'default',
    createNamespace: false,
    archivePath: archive,
    digest: `sha256:${'0'.repeat(64)}`,
    values: {},
    dependsOn: [],
    ...fields,
  });

  it('fails each layer with a clear reason, and its dependents with the reason why', async () => {
    const reported: string[] = [];
    const result = await applyHelmLayers(
      [
        layer('a'),
        layer('b', { dependsOn: ['a'] }),
        layer('lost', { archivePath: join(dir, 'gone.tgz') }),
        layer('c', { dependsOn: ['later'] }),
        layer('later'),
      ],
      {
        helm: join(dir, 'no-helm-here'),
        kubeconfig: join(dir, 'kubeconfig'),
        workDir: join(dir, 'work'),
        onLayer: (o) => void reported.push(o.key),
      },
    );
    const helmMissing = `reading release a: helm was not found at ${join(dir, 'no-helm-here')}`;
    assert.deepEqual(
      result.layers.map((o) => [o.key, o.state, o.state === 'failed' ? o.reason : '']),
      [
        ['p/a', 'failed', helmMissing],
        ['p/b', 'failed', `not installed: depends on a, which failed: ${helmMissing}`],
        ['p/lost', 'failed', 'the chart archive gone.tgz is missing'],
        ['p/c', 'failed', 'not installed: depends on later, which is not installed before it in this plan'],
        ['p/later', 'failed', `reading release later: helm was not found at ${join(dir, 'no-helm-here')}`],
      ],
    );
    assert.deepEqual(reported, ['p/a', 'p/b', 'p/lost', 'p/c', 'p/later']);
    assert.deepEqual([result.stopped, result.orphansEnded], [false, []]);
  });

  it('asks shouldStop before every layer, the first included', async () => {
    const result = await applyHelmLayers([layer('a'), layer('b')], {
      helm: join(dir, 'no-helm-here'),
      kubeconfig: join(dir, 'kubeconfig'),
      workDir: join(dir, 'work'),
      shouldStop: async () => true,
    });
    assert.equal(result.stopped, true);
    assert.deepEqual(
      result.layers.map((o) => o.state),
      ['not-attempted', 'not-attempted'],
    );
  });
});
