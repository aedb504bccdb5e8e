import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import {
  ChartVersionRepository,
  fingerprintKey,
  type NewChartVersion,
} from '../../src/catalog/chart-version.repository.js';
import { newId } from '../../src/shared/ids.js';
import { migrateToLatest, openStorage, type Storage } from '../../src/storage/database.js';
import { SyncRunRepository } from '../../src/sync/sync-run.repository.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { registryRow } from '../support/registry-rows.js';
import { TEST_DB } from '../support/server.js';

const T0 = new Date('2026-01-01T00:00:00.000Z');
const T1 = new Date('2026-01-02T00:00:00.000Z');
const T2 = new Date('2026-01-03T00:00:00.000Z');

/** A sort key for plain x.y.z versions: zero-padded numbers order byte-wise as SemVer. */
const sortKey = (version: string): string =>
  version
    .split('+')[0]!
    .split('.')
    .map((n) => n.padStart(6, '0'))
    .join('.');

function entry(chart: string, version: string, changes: Partial<NewChartVersion> = {}): NewChartVersion {
  return {
    chart_name: chart,
    version,
    sort_key: sortKey(version),
    app_version: '1.0',
    api_version: 'v2',
    type: 'application',
    description: `${chart} ${version}`,
    icon: null,
    home: 'https://example.test',
    sources: '["https://example.test/src"]',
    keywords: JSON.stringify([chart, 'db']),
    maintainers: '[{"name":"Ann"}]',
    kube_version: null,
    deprecated: 0,
    created: '2025-01-01T00:00:00Z',
    digest: `digest-${chart}-${version}`,
    urls: JSON.stringify([`${chart}-${version}.tgz`]),
    chart_url: `https://example.test/${chart}-${version}.tgz`,
    dependencies: '[]',
    annotations: '{"category":"Database"}',
    content_hash: `hash-${chart}-${version}`,
    ...changes,
  };
}

describe(`chart catalog storage (${TEST_DB})`, () => {
  let dataDir: string;
  let pg: TestDatabase | undefined;
  let storage: Storage;
  let repo: ChartVersionRepository;

  const open = (): Storage => openStorage({ databaseUrl: pg?.url ?? null, dataDir });

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'charthouse-catalog-'));
    if (TEST_DB === 'postgres') pg = await createTestDatabase();
    storage = open();
    await migrateToLatest(storage);
    repo = new ChartVersionRepository(storage.db, storage.dialect);
  });
  after(async () => {
    await storage?.close();
    await pg?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  async function createRegistry(): Promise<string> {
    const id = newId();
    await storage.db.insertInto('helm_registries').values(registryRow({ id }, T0)).execute();
    return id;
  }

  async function rowsOf(registryId: string) {
    return storage.db
      .selectFrom('chart_versions')
      .selectAll()
      .where('registry_id', '=', registryId)
      .orderBy('chart_name')
      .orderBy('version')
      .execute();
  }

  it('gives registries made before the sync columns their defaults', async () => {
    const id = await createRegistry();
    const row = await storage.db
      .selectFrom('helm_registries')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    assert.equal(row.max_index_bytes, null);
    // Its sync state is kept apart (registry_sync_state), made by its first sync.
    const state = await storage.db
      .selectFrom('registry_sync_state')
      .selectAll()
      .where('registry_id', '=', id)
      .executeTakeFirst();
    assert.equal(state, undefined);
  });

  it('inserts versions and lists a chart newest first by sort key, not by text', async () => {
    const reg = await createRegistry();
    const applied = await repo.applyDiff(
      storage.db,
      reg,
      {
        insert: [
          entry('redis', '1.9.0'),
          entry('redis', '1.10.0', { deprecated: 1, icon: 'https://example.test/i.svg' }),
          entry('redis', '1.2.0'),
          entry('nginx', '0.1.0'),
        ],
        update: [],
        remove: [],
      },
      T0,
    );
    assert.deepEqual(applied, { inserted: 4, updated: 0, removed: 0 });
    assert.deepEqual(await repo.countByRegistry(reg), { charts: 2, versions: 4 });

    const versions = await repo.listVersions(reg, 'redis');
    assert.deepEqual(
      versions.map((v) => v.version),
      ['1.10.0', '1.9.0', '1.2.0'],
    );
    const newest = versions[0]!;
    const { id, ...rest } = newest;
    assert.match(id, /^[0-9a-f-]{36}$/);
    assert.deepEqual(rest, {
      ...entry('redis', '1.10.0', { deprecated: 1, icon: 'https://example.test/i.svg' }),
      registry_id: reg,
      republished: 0,
      first_seen_at: T0.toISOString(),
      updated_at: T0.toISOString(),
    });
    assert.deepEqual(JSON.parse(newest.keywords), ['redis', 'db']);
  });

  it('breaks sort-key ties (build metadata) by version, and orders keys byte-wise', async () => {
    const reg = await createRegistry();
    await repo.applyDiff(
      storage.db,
      reg,
      {
        insert: [
          entry('app', '1.0.0+b'),
          entry('app', '1.0.0+a'),
          // Byte order puts "~" (0x7e) after letters and "-" (0x2d) before digits: a locale collation
          // would ignore the punctuation and put these the other way round.
          entry('bytes', 'x1', { sort_key: '1.0-a' }),
          entry('bytes', 'x2', { sort_key: '1.0~' }),
          entry('bytes', 'x3', { sort_key: '1.00' }),
        ],
        update: [],
        remove: [],
      },
      T0,
    );
    const names = async (chart: string) => (await repo.listVersions(reg, chart)).map((v) => v.version);
    assert.deepEqual(await names('app'), ['1.0.0+b', '1.0.0+a']);
    assert.deepEqual(await names('bytes'), ['x2', 'x3', 'x1']);
  });

  // SQLite compares text byte-wise by default; only PostgreSQL needs the collation, so only it checks.
  if (TEST_DB === 'postgres')
    it('declares sort_key and chart_name with the byte-wise collation on PostgreSQL', async () => {
      const { rows } = await sql<{ column_name: string; collation_name: string | null }>`
      select column_name, collation_name from information_schema.columns
      where table_name = 'chart_versions' and column_name in ('sort_key', 'chart_name') order by column_name
    `.execute(storage.db);
      assert.deepEqual(rows, [
        { column_name: 'chart_name', collation_name: 'C' },
        { column_name: 'sort_key', collation_name: 'C' },
      ]);
    });

  it('fingerprints a registry by name and version', async () => {
    const reg = await createRegistry();
    const other = await createRegistry();
    await repo.applyDiff(
      storage.db,
      reg,
      { insert: [entry('a', '1.0.0'), entry('a', '2.0.0', { digest: null })], update: [], remove: [] },
      T0,
    );
    await repo.applyDiff(storage.db, other, { insert: [entry('b', '1.0.0')], update: [], remove: [] }, T0);
    const fp = await repo.fingerprints(reg);
    const ids = new Map((await rowsOf(reg)).map((r) => [r.version, r.id]));
    assert.deepEqual(
      fp,
      new Map([
        [
          fingerprintKey('a', '1.0.0'),
          { id: ids.get('1.0.0'), contentHash: 'hash-a-1.0.0', digest: 'digest-a-1.0.0' },
        ],
        [fingerprintKey('a', '2.0.0'), { id: ids.get('2.0.0'), contentHash: 'hash-a-2.0.0', digest: null }],
      ]),
    );
    assert.equal(fingerprintKey('a', '1.0.0'), 'a\u00001.0.0');
  });

  it('updates changed versions in place, keeps first sight, and keeps the re-published mark', async () => {
    const reg = await createRegistry();
    await repo.applyDiff(
      storage.db,
      reg,
      { insert: [entry('a', '1.0.0'), entry('a', '2.0.0'), entry('a', '3.0.0')], update: [], remove: [] },
      T0,
    );
    const before = new Map((await rowsOf(reg)).map((r) => [r.version, r]));
    const id1 = before.get('1.0.0')!.id;
    const id2 = before.get('2.0.0')!.id;

    const applied = await repo.applyDiff(
      storage.db,
      reg,
      {
        insert: [],
        update: [
          {
            ...entry('a', '1.0.0', { description: 'new text', content_hash: 'h2' }),
            id: id1,
            republished: false,
          },
          { ...entry('a', '2.0.0', { digest: 'other', content_hash: 'h3' }), id: id2, republished: true },
        ],
        remove: [],
      },
      T1,
    );
    assert.deepEqual(applied, { inserted: 0, updated: 2, removed: 0 });
    let after = new Map((await rowsOf(reg)).map((r) => [r.version, r]));
    assert.equal(after.size, 3);
    assert.deepEqual(after.get('1.0.0'), {
      ...before.get('1.0.0'),
      description: 'new text',
      content_hash: 'h2',
      updated_at: T1.toISOString(),
    });
    assert.deepEqual(after.get('2.0.0'), {
      ...before.get('2.0.0'),
      digest: 'other',
      content_hash: 'h3',
      republished: 1,
      updated_at: T1.toISOString(),
    });
    assert.deepEqual(after.get('3.0.0'), before.get('3.0.0'));

    // A later ordinary change does not clear the mark: the version's content was swapped once.
    await repo.applyDiff(
      storage.db,
      reg,
      {
        insert: [],
        update: [
          { ...entry('a', '2.0.0', { digest: 'other', content_hash: 'h4' }), id: id2, republished: false },
        ],
        remove: [],
      },
      T2,
    );
    after = new Map((await rowsOf(reg)).map((r) => [r.version, r]));
    assert.equal(after.get('2.0.0')!.republished, 1);
    assert.equal(after.get('2.0.0')!.content_hash, 'h4');
    assert.equal(after.get('2.0.0')!.first_seen_at, T0.toISOString());
  });

  it('removes versions by id, only within the registry', async () => {
    const reg = await createRegistry();
    const other = await createRegistry();
    await repo.applyDiff(
      storage.db,
      reg,
      { insert: [entry('a', '1.0.0'), entry('a', '2.0.0')], update: [], remove: [] },
      T0,
    );
    await repo.applyDiff(storage.db, other, { insert: [entry('a', '1.0.0')], update: [], remove: [] }, T0);
    const mine = await rowsOf(reg);
    const theirs = await rowsOf(other);

    const applied = await repo.applyDiff(
      storage.db,
      reg,
      { insert: [], update: [], remove: [mine[0]!.id, theirs[0]!.id] },
      T1,
    );
    assert.deepEqual(applied, { inserted: 0, updated: 0, removed: 1 });
    assert.deepEqual(
      (await rowsOf(reg)).map((r) => r.version),
      ['2.0.0'],
    );
    assert.equal((await rowsOf(other)).length, 1, "another registry's version is out of reach");
  });

  it("refuses an update naming another registry's version and writes nothing", async () => {
    const reg = await createRegistry();
    const other = await createRegistry();
    await repo.applyDiff(storage.db, reg, { insert: [entry('a', '1.0.0')], update: [], remove: [] }, T0);
    await repo.applyDiff(storage.db, other, { insert: [entry('b', '1.0.0')], update: [], remove: [] }, T0);
    const mine = await rowsOf(reg);
    const theirs = await rowsOf(other);

    await assert.rejects(
      repo.applyDiff(
        storage.db,
        reg,
        {
          insert: [entry('a', '9.0.0')],
          update: [
            { ...entry('b', '1.0.0', { description: 'hijacked' }), id: theirs[0]!.id, republished: false },
          ],
          remove: [mine[0]!.id],
        },
        T1,
      ),
      /does not belong to registry/,
    );
    assert.deepEqual(await rowsOf(reg), mine, 'the removal before the failure was rolled back');
    assert.deepEqual(await rowsOf(other), theirs);
  });

  it('refuses keys wider than their columns on both databases, before writing', async () => {
    const reg = await createRegistry();
    await assert.rejects(
      repo.applyDiff(
        storage.db,
        reg,
        {
          insert: [entry('a', '1.0.0'), entry('a', `1.0.0-${'x'.repeat(251)}`, { content_hash: 'h' })],
          update: [],
          remove: [],
        },
        T0,
      ),
      /version of a 1\.0\.0-x+ is longer than 256 characters/,
    );
    assert.equal((await rowsOf(reg)).length, 0);
    // At the limit it fits, PostgreSQL included.
    await repo.applyDiff(
      storage.db,
      reg,
      {
        insert: [
          entry('a', `1.0.0-${'x'.repeat(250)}`, {
            sort_key: 'k'.repeat(1024),
            content_hash: 'f'.repeat(64),
          }),
        ],
        update: [],
        remove: [],
      },
      T0,
    );
    assert.equal((await rowsOf(reg)).length, 1);
  });

  it('commits a sync atomically: readers see the old catalog until commit, and a failure keeps it', async () => {
    const reg = await createRegistry();
    const seed = Array.from({ length: 50 }, (_, i) => entry('keep', `1.0.${i}`));
    await repo.applyDiff(storage.db, reg, { insert: seed, update: [], remove: [] }, T0);
    const snapshot = await rowsOf(reg);
    const runs = new SyncRunRepository(storage.db);
    const reader = open(); // another connection, as another request or process would have
    try {
      const readerRepo = new ChartVersionRepository(reader.db, reader.dialect);
      // Enough rows for several statements on either database, then a duplicate in the last batch.
      const insert = Array.from({ length: 4_500 }, (_, i) => entry('big', `2.0.${i}`));
      insert.push(entry('keep', '1.0.7'));
      const run = await runs.start(reg, 'manual', T1);
      let seenMidway: { charts: number; versions: number } | undefined;

      await assert.rejects(
        storage.db.transaction().execute(async (trx) => {
          await repo.applyDiff(
            trx,
            reg,
            { insert: insert.slice(0, 4_000), update: [], remove: snapshot.slice(0, 10).map((r) => r.id) },
            T1,
          );
          seenMidway = await readerRepo.countByRegistry(reg);
          await runs.finish(
            trx,
            run.id,
            {
              status: 'succeeded',
              added: 1,
              updated: 0,
              removed: 0,
              unchanged: 0,
              warnings: [],
              error: null,
              errorCode: null,
            },
            T1,
          );
          await repo.applyDiff(trx, reg, { insert: insert.slice(4_000), update: [], remove: [] }, T1);
        }),
      );
      assert.deepEqual(seenMidway, { charts: 1, versions: 50 }, 'a reader saw half a sync');
      assert.deepEqual(await rowsOf(reg), snapshot, 'the failed sync changed the catalog');
      assert.equal((await runs.get(reg, run.id))?.status, 'running', 'the run record rolled back too');

      // The same sync without the duplicate commits whole.
      await storage.db.transaction().execute(async (trx) => {
        await repo.applyDiff(trx, reg, { insert: insert.slice(0, 4_500), update: [], remove: [] }, T1);
        assert.deepEqual(await readerRepo.countByRegistry(reg), { charts: 1, versions: 50 });
      });
      assert.deepEqual(await readerRepo.countByRegistry(reg), { charts: 2, versions: 4_550 });
    } finally {
      await reader.close();
    }
  });

  it('writes 20,000 versions in one sync and diffs an unchanged re-sync from fingerprints alone', async () => {
    const reg = await createRegistry();
    const insert: NewChartVersion[] = [];
    for (let c = 0; c < 250; c++) {
      for (let v = 0; v < 80; v++) insert.push(entry(`chart-${c}`, `${Math.floor(v / 8)}.${v % 8}.0`));
    }
    const started = performance.now();
    const applied = await repo.applyDiff(storage.db, reg, { insert, update: [], remove: [] }, T0);
    const wrote = performance.now() - started;
    assert.deepEqual(applied, { inserted: 20_000, updated: 0, removed: 0 });
    assert.deepEqual(await repo.countByRegistry(reg), { charts: 250, versions: 20_000 });

    const again = performance.now();
    const fp = await repo.fingerprints(reg);
    const changed = insert.filter(
      (e) => fp.get(fingerprintKey(e.chart_name, e.version))?.contentHash !== e.content_hash,
    );
    const diffed = performance.now() - again;
    assert.equal(fp.size, 20_000);
    assert.equal(changed.length, 0);
    // Timing is reported, not asserted: it depends on the machine (see bench/catalog-write.bench.ts).
    console.log(
      `  ${storage.dialect}: 20,000 versions written in ${wrote.toFixed(0)} ms; ` +
        `unchanged re-sync diffed in ${diffed.toFixed(0)} ms`,
    );
  });

  it("deletes a registry's catalog and sync runs with the registry", async () => {
    const reg = await createRegistry();
    const other = await createRegistry();
    await repo.applyDiff(storage.db, reg, { insert: [entry('a', '1.0.0')], update: [], remove: [] }, T0);
    await repo.applyDiff(storage.db, other, { insert: [entry('a', '1.0.0')], update: [], remove: [] }, T0);
    const runs = new SyncRunRepository(storage.db);
    await runs.start(reg, 'schedule', T0);
    await runs.start(other, 'schedule', T0);

    await storage.db.deleteFrom('helm_registries').where('id', '=', reg).execute();
    assert.equal((await rowsOf(reg)).length, 0);
    assert.deepEqual(await runs.listForRegistry(reg, 10), []);
    assert.equal((await rowsOf(other)).length, 1);
    assert.equal((await runs.listForRegistry(other, 10)).length, 1);
  });
});
