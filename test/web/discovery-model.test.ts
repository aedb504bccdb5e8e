import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DiscoveryRunView } from '../../src/client/api-client.js';
import {
  isRunActive,
  matchText,
  parseNamespaces,
  releaseValuesLabel,
  runStatusText,
  syncOutcomeTone,
  syncSummary,
} from '../../web/src/clusters/discovery-model.js';

const run = (over: Partial<DiscoveryRunView>): DiscoveryRunView => ({
  id: 'r1',
  trigger: 'manual',
  status: 'succeeded',
  namespaces: null,
  requestedBy: 'acme-admin',
  requestedAt: '2025-01-01T00:00:00.000Z',
  startedAt: '2025-01-01T00:00:01.000Z',
  finishedAt: '2025-01-01T00:00:02.000Z',
  objects: 7,
  releases: 3,
  helm2: 0,
  matched: 1,
  warnings: [],
  error: null,
  ...over,
});

describe('discovery model', () => {
  it('polls a requested or running run only', () => {
    assert.equal(isRunActive(undefined), false);
    assert.equal(isRunActive(run({ status: 'requested' })), true);
    assert.equal(isRunActive(run({ status: 'running' })), true);
    assert.equal(isRunActive(run({ status: 'succeeded' })), false);
    assert.equal(isRunActive(run({ status: 'failed' })), false);
  });

  it("says what a run waits for (the agent's heartbeat), what it found, or why it failed", () => {
    assert.match(
      runStatusText(run({ status: 'requested' }), 'agent'),
      /agent discovers at its next heartbeat/,
    );
    assert.doesNotMatch(runStatusText(run({ status: 'requested' }), 'kubeconfig'), /agent/);
    assert.equal(runStatusText(run({ status: 'running', objects: 0 }), 'kubeconfig'), 'Running…');
    assert.equal(
      runStatusText(run({ status: 'running', objects: 1 }), 'kubeconfig'),
      'Running: 1 release object read so far…',
    );
    assert.equal(
      runStatusText(run({}), 'kubeconfig'),
      'Found 3 releases (7 release objects read), 1 matched in the catalog.',
    );
    assert.match(runStatusText(run({ releases: 1, helm2: 1 }), 'agent'), /^Found 1 release .*, 1 Helm 2\.$/);
    assert.equal(
      runStatusText(
        run({ status: 'failed', error: { code: 'kube_forbidden', message: 'secrets is forbidden' } }),
        'agent',
      ),
      'Failed: secrets is forbidden',
    );
  });

  it('names how a chart matched', () => {
    assert.equal(matchText({ registry: 'bitnami', how: 'content' }), 'bitnami (content)');
    assert.equal(matchText({ registry: 'stable', how: 'name-version' }), 'stable (name and version)');
  });

  it('sums up a sync, known outcomes first, and marks what needs attention', () => {
    assert.equal(syncSummary([]), 'No discovered charts to sync.');
    assert.equal(
      syncSummary([
        { outcome: 'failed' },
        { outcome: 'created' },
        { outcome: 'matched' },
        { outcome: 'created' },
        { outcome: 'surprise' },
      ]),
      '2 created, 1 in the catalog, 1 failed, 1 surprise',
    );
    assert.equal(syncOutcomeTone('created'), 'ok');
    assert.equal(syncOutcomeTone('conflict'), 'problem');
    assert.equal(syncOutcomeTone('skipped'), 'neutral');
  });

  it('reads the namespaces field: commas or spaces, each once, empty for all, bad names refused', () => {
    assert.deepEqual(parseNamespaces('  '), { namespaces: [] });
    assert.deepEqual(parseNamespaces('apps, data  apps\nweb'), { namespaces: ['apps', 'data', 'web'] });
    const bad = parseNamespaces('apps Data -x');
    assert.ok('error' in bad);
    assert.match(bad.error, /"Data", "-x"/);
    const many = parseNamespaces(Array.from({ length: 101 }, (_, i) => `ns-${i}`).join(' '));
    assert.ok('error' in many && /At most 100/.test(many.error));
  });

  it('labels the releaseValues choices', () => {
    assert.equal(releaseValuesLabel('sealed'), 'Keep them sealed');
    assert.equal(releaseValuesLabel('omitted'), 'Do not keep them');
  });
});
