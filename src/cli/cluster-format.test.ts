import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ClusterView } from '../client/api-client.js';
import { formatClusterDetail, formatClusterTable } from './cluster-format.js';

const AT = '2026-11-21T10:04:05.123Z';
const DIGEST = `sha256:${'ab'.repeat(32)}`;

function cluster(over: Partial<ClusterView> = {}): ClusterView {
  return {
    name: 'prod',
    description: 'Production\nEU',
    mode: 'agent',
    connection: 'connected',
    lastHeartbeatAt: AT,
    agentVersion: '0.1.0',
    server: null,
    tokenCreatedAt: AT,
    releaseValues: 'sealed',
    profiles: [
      {
        profile: 'platform',
        version: '1.0.0',
        variables: [
          { name: 'replicas', sensitive: false, value: 3, set: true },
          { name: 'tier', sensitive: false, set: false },
          { name: 'password', sensitive: true, set: true },
          { name: 'apiKey', sensitive: true, set: false },
        ],
      },
    ],
    plan: { revision: 4, deliveredRevision: 3, deliveredAt: AT },
    layers: [
      {
        profile: 'platform',
        version: '1.0.0',
        layer: 'db',
        state: 'installed',
        reason: null,
        digest: DIGEST,
        provenance: 'unsigned',
        release: { name: 'db', namespace: 'data', revision: 2, status: 'deployed' },
        planRevision: 3,
        reportedAt: AT,
      },
      {
        profile: 'platform',
        version: '1.0.0',
        layer: 'web',
        state: 'failed',
        reason: 'digest mismatch:\nexpected sha256:00',
        digest: null,
        provenance: null,
        release: null,
        planRevision: 3,
        reportedAt: AT,
      },
    ],
    createdAt: AT,
    updatedAt: AT,
    ...over,
  };
}

describe('cluster output', () => {
  it('lists clusters with their profiles, plan and layer states', () => {
    const out = formatClusterTable([
      cluster(),
      cluster({
        name: 'lab',
        mode: 'kubeconfig',
        connection: 'never',
        lastHeartbeatAt: null,
        profiles: [],
        layers: [],
        plan: { revision: 1, deliveredRevision: null, deliveredAt: null },
      }),
    ]);
    assert.equal(
      out,
      [
        'NAME  MODE        CONNECTION  LAST HEARTBEAT        PROFILES        PLAN               LAYERS',
        'prod  agent       connected   2026-11-21 10:04 UTC  platform@1.0.0  4 (agent has 3)    1 installed, 1 failed',
        'lab   kubeconfig  never       -                     -               1 (not delivered)  -',
        '',
      ].join('\n'),
    );
    assert.equal(formatClusterTable([]), 'No clusters.\n');
  });

  it('shows sensitive variables only as set or not set, and every layer state', () => {
    const out = formatClusterDetail(cluster());
    assert.match(out, /^Description: +Production EU$/m);
    assert.match(out, /^Connection: +connected \(last heartbeat 2026-11-21 10:04 UTC\)$/m);
    assert.match(out, /^Release values: +sealed \(discovery keeps them encrypted and never shows them\)$/m);
    assert.match(
      formatClusterDetail(cluster({ releaseValues: 'omitted' })),
      /^Release values: +omitted \(discovery never stores them\)$/m,
    );
    assert.match(out, /^platform +replicas +3$/m);
    assert.match(out, /^platform +tier +\(not set: the default applies\)$/m);
    assert.match(out, /^platform +password +\(sensitive, set\)$/m);
    assert.match(out, /^platform +apiKey +\(sensitive, not set\)$/m);
    assert.match(
      out,
      /^platform +1\.0\.0 +db +installed +sha256:abababababab +data\/db r2 deployed +3 +2026-11-21 10:04 UTC +-$/m,
    );
    assert.match(
      out,
      /^platform +1\.0\.0 +web +failed +- +- +3 +2026-11-21 10:04 UTC +digest mismatch: expected sha256:00$/m,
    );
  });
});
