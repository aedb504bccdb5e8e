import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { ChartFilesRepository } from '../../src/catalog/chart-files.repository.js';
import { ChartFilesService } from '../../src/catalog/chart-files.js';
import type { ChartVersionRow } from '../../src/catalog/chart-version.repository.js';
import type { RegistryRow } from '../../src/registries/registry.repository.js';
import { readChartFiles } from '../../src/protocol/helm/chart-archive.js';
import { archiveFingerprint } from '../../src/protocol/helm/release/chart-fingerprint.js';
import { SecretBox } from '../../src/shared/secret-box.js';
import { createUpstreamPolicy } from '../../src/upstream/upstream-policy.js';
import { chartVersionRow } from '../fixtures/chart-rows.js';
import { packageChartDir, type PackagedChart } from '../support/chart-archive.js';
import { sendBody, startFixtureServer, type FixtureServer } from '../support/fixture-servers.js';
import { freshStorages } from '../support/fresh-storage.js';
import { registryRow } from '../support/registry-rows.js';
import { TEST_DB } from '../support/server.js';

const CORPUS = new URL('../../../shared/corpus/charts/', import.meta.url);
const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** A registry row as read back from the database (the optional columns filled in). */
const registryAt = (columns: Partial<RegistryRow> = {}): RegistryRow => {
  const row = registryRow({ endpoint: `${fixture.url}/repo` });
  return {
    ...row,
    max_index_bytes: row.max_index_bytes ?? null,
    hosted_public_read: row.hosted_public_read ?? 0,
    hosted_revision: row.hosted_revision ?? 0,
    ...columns,
  };
};

function versionRow(chart: PackagedChart, url: string, digest: string | null): ChartVersionRow {
  const now = new Date().toISOString();
  return {
    ...chartVersionRow(chart.name, chart.version, { digest, chart_url: url, content_hash: 'h' }),
    id: `v-${chart.name}`,
    registry_id: 'r',
    republished: 0,
    first_seen_at: now,
    updated_at: now,
  };
}

let fixture: FixtureServer;

describe(`chart files: content fingerprints (${TEST_DB})`, () => {
  const storages = freshStorages('chart-files');
  let alertmanager: PackagedChart;
  let nats: PackagedChart;

  before(async () => {
    [alertmanager, nats] = await Promise.all([
      packageChartDir(new URL('alertmanager', CORPUS).pathname),
      packageChartDir(new URL('prometheus-nats-exporter', CORPUS).pathname),
    ]);
    fixture = await startFixtureServer({
      '/repo/alertmanager.tgz': sendBody(alertmanager.tgz),
      '/repo/nats.tgz': sendBody(nats.tgz),
    });
  });
  after(async () => {
    await fixture.close();
    await storages.removeAll();
  });

  async function setup() {
    const { storage } = await storages.fresh();
    const repository = new ChartFilesRepository(storage.db);
    const service = new ChartFilesService({
      repository,
      secrets: new SecretBox(randomBytes(32)),
      policy: createUpstreamPolicy({ userAgent: 'test', allowPrivateEndpoints: true }),
      logger: pino({ level: 'silent' }),
    });
    return { repository, service };
  }
  const gets = (name: string): number => fixture.requests.filter((r) => r.url === `/repo/${name}.tgz`).length;

  it('stores the fingerprint with the files, and answers it from the cache afterwards', async () => {
    const { repository, service } = await setup();
    const registry = registryAt();
    const digest = sha256(alertmanager.tgz);
    const row = versionRow(alertmanager, `${fixture.url}/repo/alertmanager.tgz`, digest);
    const expected = archiveFingerprint(await readChartFiles(alertmanager.tgz));
    const before = gets('alertmanager');

    const files = await service.filesFor(registry, row);
    assert.deepEqual(files.files, { status: 'available' });
    assert.equal((await repository.find(digest))?.fingerprint, expected);
    assert.equal(await service.fingerprintFor(registry, row), expected);
    assert.equal(gets('alertmanager') - before, 1, 'one fetch for both');
  });

  it('reads the archive again for a row cached before fingerprints, and completes that row', async () => {
    const { repository, service } = await setup();
    const registry = registryAt();
    const digest = sha256(nats.tgz);
    const row = versionRow(nats, `${fixture.url}/repo/nats.tgz`, digest);
    await repository.save({
      digest,
      values_yaml: 'old: row\n',
      readme: null,
      values_schema: null,
      created_at: '2026-01-01T00:00:00.000Z',
      fingerprint: null,
    });
    // The files of the old row are served as they are, without a fetch.
    const before = gets('nats');
    assert.equal((await service.filesFor(registry, row)).valuesYaml, 'old: row\n');
    assert.equal(gets('nats'), before);

    const expected = archiveFingerprint(await readChartFiles(nats.tgz));
    assert.equal(await service.fingerprintFor(registry, row), expected);
    assert.equal(gets('nats') - before, 1);
    const stored = await repository.find(digest);
    assert.equal(stored?.fingerprint, expected);
    assert.equal(stored?.values_yaml, 'old: row\n', 'only the fingerprint is filled in');
    assert.equal(stored?.created_at, '2026-01-01T00:00:00.000Z');
    // A later save never overwrites a fingerprint, nor a null one a set one.
    await repository.save({ ...stored!, fingerprint: 'f'.repeat(64) });
    await repository.save({ ...stored!, fingerprint: null });
    assert.equal((await repository.find(digest))?.fingerprint, expected);
    assert.equal(await service.fingerprintFor(registry, row), expected);
    assert.equal(gets('nats') - before, 1, 'cached now');
  });

  it('is null when the archive is unavailable: digest mismatch, missing, or a protected registry', async () => {
    const { repository, service } = await setup();
    const registry = registryAt();
    const liar = versionRow(alertmanager, `${fixture.url}/repo/alertmanager.tgz`, sha256(Buffer.from('x')));
    assert.equal(await service.fingerprintFor(registry, liar), null);
    assert.equal(await repository.find(sha256(alertmanager.tgz)), undefined, 'nothing stored');
    const gone = versionRow(nats, `${fixture.url}/repo/gone.tgz`, sha256(Buffer.from('gone')));
    assert.equal(await service.fingerprintFor(registry, gone), null);
    // Remembered for a minute: no second request.
    const before = fixture.requests.length;
    assert.equal(await service.fingerprintFor(registry, gone), null);
    assert.equal(fixture.requests.length, before);

    const hidden = registryAt({ protected: 1 });
    const start = fixture.requests.length;
    const row = versionRow(nats, `${fixture.url}/repo/nats.tgz`, sha256(nats.tgz));
    assert.equal(await service.fingerprintFor(hidden, row), null);
    assert.equal(fixture.requests.length, start, 'a protected registry is never contacted');
  });
});
