import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  canonicalJson,
  parseHistory,
  planRelease,
  releaseDescription,
  type HistoryEntry,
} from './release-state.js';

const DIGEST = `sha256:${'a'.repeat(64)}`;
const OURS = releaseDescription(DIGEST, { greeting: 'hi' });

function history(...entries: [string, string?][]): HistoryEntry[] {
  return entries.map(([status, description], i) => ({
    revision: i + 1,
    status,
    description: description ?? 'Upgrade complete',
  }));
}

describe('release state', () => {
  it('describes a release by its archive and its values, whatever their key order', () => {
    assert.match(OURS, /^charthouse sha256:a{64} values=sha256:[0-9a-f]{64}$/);
    assert.equal(
      releaseDescription(DIGEST, { b: { y: 1, x: [2, { d: 1, c: 2 }] }, a: null }),
      releaseDescription(DIGEST, { a: null, b: { x: [2, { c: 2, d: 1 }], y: 1 } }),
    );
    assert.notEqual(releaseDescription(DIGEST, { greeting: 'ho' }), OURS);
    assert.notEqual(releaseDescription(`sha256:${'b'.repeat(64)}`, { greeting: 'hi' }), OURS);
    assert.equal(canonicalJson({ b: 1, a: [{ z: 1, y: 2 }] }), '{"a":[{"y":2,"z":1}],"b":1}');
  });

  it('reads helm history -o json, oldest first', () => {
    const parsed = parseHistory(
      '[{"revision":2,"updated":"x","status":"deployed","chart":"c-1","app_version":"","description":"d2"},' +
        '{"revision":1,"status":"superseded","description":"d1"}]',
    );
    assert.deepEqual(parsed, [
      { revision: 1, status: 'superseded', description: 'd1' },
      { revision: 2, status: 'deployed', description: 'd2' },
    ]);
    assert.throws(() => parseHistory('{}'), /not print a JSON list/);
    assert.throws(() => parseHistory('[{"revision":"x"}]'), /not a number/);
  });

  it('leaves a deployed release with our description alone, and upgrades anything else that is settled', () => {
    assert.deepEqual(planRelease(history(['superseded', OURS], ['deployed', OURS]), OURS), {
      kind: 'unchanged',
      revision: 2,
      status: 'deployed',
    });
    assert.deepEqual(planRelease([], OURS), { kind: 'upgrade' });
    assert.deepEqual(planRelease(history(['deployed', 'charthouse other']), OURS), { kind: 'upgrade' });
    assert.deepEqual(planRelease(history(['deployed', OURS], ['failed', OURS]), OURS), { kind: 'upgrade' });
    assert.deepEqual(planRelease(history(['superseded', OURS], ['deployed', 'Rollback to 1']), OURS), {
      kind: 'upgrade',
    });
  });

  it('recovers a pending release: rollback to the last deployed revision, or uninstall a first install', () => {
    assert.deepEqual(planRelease(history(['pending-install']), OURS), {
      kind: 'uninstall-then-install',
      from: 'pending-install',
    });
    assert.deepEqual(planRelease(history(['deployed'], ['pending-upgrade']), OURS), {
      kind: 'rollback-then-upgrade',
      toRevision: 1,
      from: 'pending-upgrade',
    });
    assert.deepEqual(planRelease(history(['superseded'], ['deployed'], ['pending-rollback']), OURS), {
      kind: 'rollback-then-upgrade',
      toRevision: 2,
      from: 'pending-rollback',
    });
    // No deployed revision left: the newest settled one.
    assert.deepEqual(planRelease(history(['superseded'], ['failed'], ['pending-upgrade']), OURS), {
      kind: 'rollback-then-upgrade',
      toRevision: 2,
      from: 'pending-upgrade',
    });
    // An older pending revision (left by an earlier recovery) is never a target.
    assert.deepEqual(planRelease(history(['failed'], ['pending-upgrade'], ['pending-upgrade']), OURS), {
      kind: 'rollback-then-upgrade',
      toRevision: 1,
      from: 'pending-upgrade',
    });
    assert.deepEqual(planRelease(history(['uninstalled'], ['pending-install']), OURS), {
      kind: 'uninstall-then-install',
      from: 'pending-install',
    });
    assert.deepEqual(planRelease(history(['deployed'], ['uninstalling']), OURS), {
      kind: 'uninstall-then-install',
      from: 'uninstalling',
    });
  });
});
