import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CatalogWriter, type CatalogWriteSummary } from '../../src/catalog/catalog-writer.js';
import { ChartVersionRepository, type NewChartVersion } from '../../src/catalog/chart-version.repository.js';
import { newId } from '../../src/shared/ids.js';
import type { Storage } from '../../src/storage/database.js';
import { chartVersionRow } from '../fixtures/chart-rows.js';
import { freshStorages } from '../support/fresh-storage.js';
import { registryRow } from '../support/registry-rows.js';
import { TEST_DB } from '../support/server.js';

const entry = (chart: string, version: string, hash = `hash-${chart}-${version}`): NewChartVersion =>
  chartVersionRow(chart, version, {
    type: 'application',
    digest: `digest-${chart}-${version}`,
    chart_url: `https://example.test/${chart}-${version}.tgz`,
    content_hash: hash,
  });

const versionsOf = (n: number, chart = 'app'): NewChartVersion[] =>
  Array.from({ length: n }, (_, i) => entry(chart, `1.0.${i}`));

describe(`catalog writer (${TEST_DB})`, () => {
  const storages = freshStorages('catalog-writer');
  let storage: Storage;
  let writer: CatalogWriter;

  before(async () => {
    ({ storage } = await storages.fresh());
    writer = new CatalogWriter(storage.db, new ChartVersionRepository(storage.db, storage.dialect));
  });
  after(() => storages.removeAll());

  async function createRegistry(): Promise<string> {
    const id = newId();
    await storage.db.insertInto('helm_registries').values(registryRow({ id })).execute();
    return id;
  }

  async function stored(registryId: string): Promise<string[]> {
    const rows = await storage.db
      .selectFrom('chart_versions')
      .select(['chart_name', 'version', 'content_hash'])
      .where('registry_id', '=', registryId)
      .orderBy('chart_name')
      .orderBy('version')
      .execute();
    return rows.map((r) => `${r.chart_name} ${r.version} ${r.content_hash}`);
  }

  const accept = async (): Promise<boolean> => true;

  it('writes the diff and hands the caller its summary inside the transaction', async () => {
    const registryId = await createRegistry();
    await writer.commit({ registryId, shrinkConfirmed: false, close: accept }, [entry('a', '1.0.0')], []);
    let seen: CatalogWriteSummary | undefined;
    let sawRowsInside: string[] = [];
    const result = await writer.commit(
      {
        registryId,
        shrinkConfirmed: false,
        close: async (trx, summary) => {
          seen = summary;
          const rows = await trx
            .selectFrom('chart_versions')
            .select('version')
            .where('registry_id', '=', registryId)
            .orderBy('version')
            .execute();
          sawRowsInside = rows.map((r) => r.version);
          return true;
        },
      },
      [entry('a', '1.0.1'), entry('b', '2.0.0')],
      [{ message: 'from the source' }],
    );
    assert.equal(result.status, 'written');
    assert.deepEqual(
      { ...seen, warnings: seen?.warnings.map((w) => w.message) },
      {
        added: 2,
        updated: 0,
        removed: 1,
        unchanged: 0,
        warnings: ['from the source'],
        charts: 2,
        versions: 2,
      },
    );
    assert.deepEqual(sawRowsInside, ['1.0.1', '2.0.0']);
    assert.deepEqual(await stored(registryId), ['a 1.0.1 hash-a-1.0.1', 'b 2.0.0 hash-b-2.0.0']);
  });

  it('rolls every write back when the caller cannot close (its lease was lost)', async () => {
    const registryId = await createRegistry();
    await writer.commit({ registryId, shrinkConfirmed: false, close: accept }, [entry('a', '1.0.0')], []);
    const result = await writer.commit(
      { registryId, shrinkConfirmed: false, close: async () => false },
      [entry('a', '1.0.0', 'changed'), entry('b', '2.0.0')],
      [],
    );
    assert.deepEqual(result, { status: 'abandoned' });
    assert.deepEqual(await stored(registryId), ['a 1.0.0 hash-a-1.0.0']);
  });

  it('holds a suspect shrink without calling close, and applies it once confirmed', async () => {
    const registryId = await createRegistry();
    await writer.commit({ registryId, shrinkConfirmed: false, close: accept }, versionsOf(60), []);
    let closed = false;
    const close = async (): Promise<boolean> => (closed = true);
    const held = await writer.commit({ registryId, shrinkConfirmed: false, close }, versionsOf(10), []);
    assert.deepEqual(held, { status: 'suspect', stored: 60, incoming: 10, warnings: [] });
    assert.equal(closed, false);
    assert.equal((await stored(registryId)).length, 60);
    const applied = await writer.commit({ registryId, shrinkConfirmed: true, close }, versionsOf(10), []);
    assert.equal(applied.status, 'written');
    assert.equal(closed, true);
    assert.equal((await stored(registryId)).length, 10);
  });

  it("replaces and removes one hosted version, never another registry's", async () => {
    const registryId = await createRegistry();
    const other = await createRegistry();
    for (const id of [registryId, other]) {
      await writer.commit({ registryId: id, shrinkConfirmed: false, close: accept }, versionsOf(2), []);
    }
    await storage.db.transaction().execute(async (trx) => {
      await writer.replaceVersion(trx, registryId, entry('app', '1.0.0', 'pushed again'), new Date());
      await writer.replaceVersion(trx, registryId, entry('new', '0.1.0'), new Date());
      await writer.removeVersion(trx, registryId, 'app', '1.0.1');
    });
    assert.deepEqual(await stored(registryId), ['app 1.0.0 pushed again', 'new 0.1.0 hash-new-0.1.0']);
    assert.deepEqual(await stored(other), ['app 1.0.0 hash-app-1.0.0', 'app 1.0.1 hash-app-1.0.1']);
  });
});
