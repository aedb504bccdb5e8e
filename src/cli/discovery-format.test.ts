import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type {
  DiscoveredReleaseView,
  DiscoveryRunView,
  ProfileFromClusterReply,
  ProfileVersionView,
  SyncedChartView,
} from '../client/api-client.js';
import {
  formatFromCluster,
  formatReleaseTable,
  formatRunOutcome,
  formatRunTable,
  formatSyncedCharts,
  matchedCell,
  releaseNotes,
  runWarningText,
  syncedWarnings,
  syncExitCode,
} from './discovery-format.js';

const AT = '2026-11-21T10:04:05.123Z';
const LATER = '2026-11-21T10:04:07.623Z';

function run(over: Partial<DiscoveryRunView> = {}): DiscoveryRunView {
  return {
    id: 'run-1',
    trigger: 'manual',
    status: 'succeeded',
    namespaces: null,
    requestedBy: 'acme-admin',
    requestedAt: AT,
    startedAt: AT,
    finishedAt: LATER,
    objects: 7,
    releases: 3,
    helm2: 1,
    matched: 1,
    warnings: [],
    error: null,
    ...over,
  };
}

function release(over: Partial<DiscoveredReleaseView> = {}): DiscoveredReleaseView {
  return {
    name: 'web',
    namespace: 'apps',
    revision: 2,
    status: 'deployed',
    chart: 'nginx',
    version: '15.1.0',
    appVersion: '1.25.0',
    firstDeployed: AT,
    lastDeployed: AT,
    driver: 'secret',
    helm: 3,
    dependencies: 0,
    values: 'sealed',
    matchedRegistries: [],
    reconstructed: false,
    sync: null,
    ...over,
  };
}

function synced(over: Partial<SyncedChartView> = {}): SyncedChartView {
  return {
    chart: 'legacy',
    version: '1.2.3',
    releases: [{ name: 'old', namespace: 'apps' }],
    outcome: 'created',
    registry: 'acme',
    digest: `sha256:${'ab'.repeat(32)}`,
    message: null,
    warnings: [],
    ...over,
  };
}

describe('discovery output', () => {
  it('tells a finished run by its counts, and a failed one by its error', () => {
    assert.equal(
      formatRunOutcome('prod', run({ warnings: [{ code: 'undecodable', message: 'x' }] })),
      'Discovered prod in 2.5 s: 3 releases (1 Helm 2, not synced), 1 matched a catalog version; 7 release objects read, 1 warning.\n' +
        'See them with "charthouse cluster releases prod".\n',
    );
    assert.equal(
      formatRunOutcome(
        'prod',
        run({ releases: 0, helm2: 0, matched: 0, objects: 0, namespaces: ['a', 'b'] }),
      ),
      'Discovered prod (namespaces a, b) in 2.5 s: 0 releases, 0 matched a catalog version; 0 release objects read.\n',
    );
    assert.equal(
      formatRunOutcome(
        'prod',
        run({
          status: 'failed',
          error: { code: 'cluster_unreachable', message: 'connect ECONNREFUSED\n127.0.0.1' },
        }),
      ),
      'Discovery of prod failed in 2.5 s: connect ECONNREFUSED 127.0.0.1 (cluster_unreachable)\n',
    );
    assert.equal(
      formatRunOutcome('edge', run({ status: 'requested', startedAt: null, finishedAt: null })),
      'Discovery of edge is requested (run run-1).\n',
    );
  });

  it('lists runs newest first with their counts and errors', () => {
    assert.equal(
      formatRunTable([
        run(),
        run({
          status: 'failed',
          namespaces: ['apps'],
          error: { code: 'x', message: 'refused' },
          releases: 0,
        }),
      ]),
      [
        'REQUESTED             TRIGGER  STATUS     NAMESPACES  RELEASES  HELM2  MATCHED  WARNINGS  ERROR',
        '2026-11-21 10:04 UTC  manual   succeeded  all         3         1      1        0         -',
        '2026-11-21 10:04 UTC  manual   failed     apps        0         1      1        0         refused',
        '',
      ].join('\n'),
    );
    assert.equal(formatRunTable([]), 'No discoveries yet.\n');
  });

  it('writes where a run warning comes from', () => {
    assert.equal(
      runWarningText({
        code: 'undecodable',
        message: 'not gzip',
        namespace: 'apps',
        object: 'sh.helm.release.v1.x.v1',
      }),
      'apps/sh.helm.release.v1.x.v1: not gzip (undecodable)',
    );
    assert.equal(runWarningText({ code: 'forbidden', message: 'cannot list' }), 'cannot list (forbidden)');
  });

  it('names matched registries with how they matched, and flags Helm 2 and rebuilt charts', () => {
    assert.equal(matchedCell(release()), '-');
    assert.equal(
      matchedCell(
        release({
          matchedRegistries: [
            { registry: 'bitnami', scope: 'tenant', kind: 'helm', how: 'content', reconstructed: false },
            { registry: 'acme', scope: 'tenant', kind: 'hosted', how: 'name-version', reconstructed: true },
          ],
        }),
      ),
      'bitnami(content), acme(name-version, reconstructed)',
    );
    assert.equal(releaseNotes(release()), '-');
    assert.equal(
      releaseNotes(release({ helm: 2, driver: 'configmap' })),
      'Helm 2 (not synced); configmap driver',
    );
    assert.equal(
      releaseNotes(release({ reconstructed: true, dependencies: 2 })),
      'reconstructed; 2 subcharts not in the release',
    );
  });

  it('prints the releases as a table with the run they come from', () => {
    const out = formatReleaseTable(
      'prod',
      [
        release({
          matchedRegistries: [
            { registry: 'bitnami', scope: 'system', kind: 'helm', how: 'content', reconstructed: false },
          ],
        }),
        release({
          name: 'tiller-app',
          namespace: 'kube-system',
          chart: 'old',
          version: '0.1.0',
          helm: 2,
          status: 'DEPLOYED',
        }),
      ],
      run(),
    );
    assert.equal(
      out,
      [
        'RELEASE     NAMESPACE    CHART  VERSION  STATUS    MATCHED           NOTES',
        'web         apps         nginx  15.1.0   deployed  bitnami(content)  -',
        'tiller-app  kube-system  old    0.1.0    DEPLOYED  -                 Helm 2 (not synced)',
        '',
        'From the discovery of 2026-11-21 10:04 UTC (3 releases found).',
        '',
      ].join('\n'),
    );
    assert.equal(
      formatReleaseTable('prod', [], null),
      'No discovery of prod has finished yet: run "charthouse cluster discover prod --wait".\n',
    );
    assert.match(formatReleaseTable('prod', [], run()), /^No releases\. From the discovery of /);
  });

  it('exits 1 when a chart failed, 3 on a conflict alone, 0 otherwise', () => {
    assert.equal(syncExitCode([]), 0);
    assert.equal(
      syncExitCode([
        synced(),
        synced({ outcome: 'unchanged' }),
        synced({ outcome: 'matched' }),
        synced({ outcome: 'skipped' }),
      ]),
      0,
    );
    assert.equal(syncExitCode([synced(), synced({ outcome: 'conflict' })]), 3);
    assert.equal(syncExitCode([synced({ outcome: 'conflict' }), synced({ outcome: 'failed' })]), 1);
  });

  it('prints each synced chart with its outcome, registry, releases and message; warnings apart', () => {
    const items = [
      synced({ warnings: ['It declares 1 subchart (redis),\nwhich Helm does not store.'] }),
      synced({
        chart: 'web',
        version: '2.0.0',
        outcome: 'conflict',
        releases: [
          { name: 'a', namespace: 'x' },
          { name: 'b', namespace: 'y' },
        ],
        message: 'acme holds web 2.0.0 with other content.',
      }),
      synced({ chart: 'nginx', version: '15.1.0', outcome: 'matched', registry: 'bitnami' }),
    ];
    assert.equal(
      formatSyncedCharts('prod', items),
      [
        'CHART   VERSION  OUTCOME   REGISTRY  RELEASES  MESSAGE',
        'legacy  1.2.3    created   acme      apps/old  -',
        'web     2.0.0    conflict  acme      x/a, y/b  acme holds web 2.0.0 with other content.',
        'nginx   15.1.0   matched   bitnami   apps/old  -',
        '',
        '3 charts: 1 created, 1 matched, 1 conflict.',
        '',
      ].join('\n'),
    );
    assert.deepEqual(syncedWarnings(items), [
      'legacy 1.2.3: It declares 1 subchart (redis), which Helm does not store.',
    ]);
    assert.equal(formatSyncedCharts('prod', []), 'No discovered charts to sync in prod.\n');
  });

  it('tells the profile made from a cluster and the releases it skipped, with why', () => {
    const reply: ProfileFromClusterReply = {
      profile: { profile: 'estate', version: '1.0.0', layers: [{}, {}] } as unknown as ProfileVersionView,
      skipped: [
        { release: 'old', namespace: 'kube-system', reason: 'A Helm 2 (Tiller) release:\nmigrate it.' },
      ],
    };
    assert.equal(
      formatFromCluster('prod', reply),
      [
        'Created cluster profile estate with draft version 1.0.0: 2 layers from the releases of cluster prod.',
        '',
        'Skipped 1 release:',
        'RELEASE  NAMESPACE    REASON',
        'old      kube-system  A Helm 2 (Tiller) release: migrate it.',
        '',
      ].join('\n'),
    );
    assert.equal(
      formatFromCluster('prod', { ...reply, skipped: [] }),
      'Created cluster profile estate with draft version 1.0.0: 2 layers from the releases of cluster prod.\n',
    );
  });
});
