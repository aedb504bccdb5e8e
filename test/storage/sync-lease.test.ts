import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Kysely } from 'kysely';
import { newId } from '../../src/shared/ids.js';
import { migrateToLatest, openStorage, type Storage } from '../../src/storage/database.js';
import type { Database, HelmRegistriesTable } from '../../src/storage/schema.js';
import { SyncLeaseRepository } from '../../src/sync/sync-lease.repository.js';
import {
  INTERRUPTED_CODE,
  MAX_STORED_WARNINGS,
  SyncRunRepository,
  type SyncRunOutcome,
} from '../../src/sync/sync-run.repository.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { registryRow } from '../support/registry-rows.js';
import { TEST_DB } from '../support/server.js';

const T0 = new Date('2026-01-01T00:00:00.000Z');
const at = (ms: number): Date => new Date(T0.getTime() + ms);
const MINUTE = 60_000;

const SUCCEEDED: SyncRunOutcome = {
  status: 'succeeded',
  added: 3,
  updated: 2,
  removed: 1,
  unchanged: 10,
  warnings: [{ chart: 'a', version: '1.0', message: 'skipped: invalid version' }],
  error: null,
  errorCode: null,
};

async function createRegistry(
  db: Kysely<Database>,
  columns: Partial<HelmRegistriesTable> = {},
): Promise<string> {
  const id = newId();
  await db
    .insertInto('helm_registries')
    .values(registryRow({ id, ...columns }, T0))
    .execute();
  return id;
}

describe(`sync lease and sync runs (${TEST_DB})`, () => {
  const dataDirs: string[] = [];
  const databases: TestDatabase[] = [];
  const opened: Storage[] = [];
  let storage: Storage;
  let leases: SyncLeaseRepository;
  let runs: SyncRunRepository;

  /** A fresh, migrated database: SQLite file in a temp folder, or a new PostgreSQL database. */
  async function freshStorage(): Promise<{ storage: Storage; open: () => Storage }> {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'charthouse-lease-'));
    dataDirs.push(dataDir);
    let url: string | null = null;
    if (TEST_DB === 'postgres') {
      const pg = await createTestDatabase();
      databases.push(pg);
      url = pg.url;
    }
    const open = (): Storage => {
      const s = openStorage({ databaseUrl: url, dataDir });
      opened.push(s);
      return s;
    };
    const s = open();
    await migrateToLatest(s);
    return { storage: s, open };
  }

  let openMore: () => Storage;
  before(async () => {
    ({ storage, open: openMore } = await freshStorage());
    leases = new SyncLeaseRepository(storage.db);
    runs = new SyncRunRepository(storage.db);
  });
  after(async () => {
    await Promise.all(opened.map((s) => s.close()));
    for (const pg of databases) await pg.drop();
    for (const dir of dataDirs) await rm(dir, { recursive: true, force: true });
  });

  const leaseOf = (id: string) =>
    storage.db
      .selectFrom('helm_registries')
      .select(['lease_owner', 'lease_expires_at'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();

  describe('lease', () => {
    it('lets exactly one of ten processes acquiring at once win', async () => {
      const reg = await createRegistry(storage.db);
      // Ten connections, as ten server processes would have; all race for the same free lease.
      const processes = Array.from({ length: 10 }, () => new SyncLeaseRepository(openMore().db));
      const won = await Promise.all(processes.map((p, i) => p.acquire(reg, `process-${i}`, MINUTE, T0)));
      assert.equal(won.filter(Boolean).length, 1, `winners: ${JSON.stringify(won)}`);
      const winner = won.indexOf(true);
      assert.deepEqual(await leaseOf(reg), {
        lease_owner: `process-${winner}`,
        lease_expires_at: at(MINUTE).toISOString(),
      });
    });

    it('keeps others out until it expires or is released; its holder may re-acquire and renew', async () => {
      const reg = await createRegistry(storage.db);
      assert.equal(await leases.acquire(reg, 'a', MINUTE, T0), true);
      assert.equal(await leases.acquire(reg, 'b', MINUTE, at(MINUTE - 1)), false, 'b took a live lease');
      assert.equal(await leases.acquire(reg, 'a', MINUTE, at(1_000)), true, 'the holder re-acquires');
      assert.equal(await leases.renew(reg, 'a', MINUTE, at(2_000)), true);
      assert.equal((await leaseOf(reg)).lease_expires_at, at(MINUTE + 2_000).toISOString());
      assert.equal(await leases.renew(reg, 'b', MINUTE, at(2_000)), false, 'b renewed a lease it never had');
      assert.equal(await leases.acquire(reg, 'b', MINUTE, at(MINUTE + 1_000)), false, 'renewal was ignored');

      // The holder dies: once the lease expires another process takes over, and the old holder is out.
      assert.equal(await leases.acquire(reg, 'b', MINUTE, at(MINUTE + 2_001)), true);
      assert.equal(await leases.renew(reg, 'a', MINUTE, at(MINUTE + 3_000)), false);
      assert.equal(await leases.release(reg, 'a'), false, 'a released a lease it lost');
      assert.equal((await leaseOf(reg)).lease_owner, 'b');

      assert.equal(await leases.release(reg, 'b'), true);
      assert.deepEqual(await leaseOf(reg), { lease_owner: null, lease_expires_at: null });
      assert.equal(await leases.acquire(reg, 'c', MINUTE, at(MINUTE + 4_000)), true, 'free after release');
    });

    it('can be forced away from a stuck holder', async () => {
      const reg = await createRegistry(storage.db);
      assert.equal(await leases.acquire(reg, 'stuck', 60 * MINUTE, T0), true);
      assert.equal(await leases.acquire(reg, 'operator', MINUTE, at(1_000)), false);
      assert.equal(await leases.acquire(reg, 'operator', MINUTE, at(1_000), { force: true }), true);
      assert.equal(await leases.renew(reg, 'stuck', 60 * MINUTE, at(2_000)), false);
      assert.equal(await leases.acquire(reg, 'other', MINUTE, at(1_000), { force: true }), true);
      assert.equal(await leases.acquire(reg, 'x', MINUTE, T0, { force: true }), true);
      assert.equal(
        await leases.acquire(newId(), 'x', MINUTE, T0, { force: true }),
        false,
        'unknown registry',
      );
    });

    it('records an outcome only for the holder, keeping what a failure does not know', async () => {
      const reg = await createRegistry(storage.db);
      const row = () =>
        storage.db
          .selectFrom('helm_registries')
          .select([
            'sync_status',
            'last_synced_at',
            'last_error',
            'chart_count',
            'version_count',
            'sync_etag',
            'sync_last_modified',
            'sync_content_digest',
            'failure_count',
            'next_sync_at',
          ])
          .where('id', '=', reg)
          .executeTakeFirstOrThrow();
      const success = {
        syncStatus: 'synced',
        lastSyncedAt: at(1_000),
        lastError: null,
        chartCount: 2,
        versionCount: 7,
        etag: '"abc"',
        lastModified: 'Thu, 01 Jan 2026 00:00:00 GMT',
        contentDigest: 'f'.repeat(64),
        failureCount: 0,
        nextSyncAt: at(60 * MINUTE),
      } as const;
      assert.equal(await leases.recordOutcome(reg, 'a', success), false, 'recorded without the lease');
      assert.equal((await row()).sync_status, 'never');

      assert.equal(await leases.acquire(reg, 'a', MINUTE, T0), true);
      assert.equal(await leases.markSyncing(reg, 'b'), false);
      assert.equal(await leases.markSyncing(reg, 'a'), true);
      assert.equal((await row()).sync_status, 'syncing');
      assert.equal(await leases.recordOutcome(reg, 'a', success), true);
      const synced = {
        sync_status: 'synced',
        last_synced_at: at(1_000).toISOString(),
        last_error: null,
        chart_count: 2,
        version_count: 7,
        sync_etag: '"abc"',
        sync_last_modified: 'Thu, 01 Jan 2026 00:00:00 GMT',
        sync_content_digest: 'f'.repeat(64),
        failure_count: 0,
        next_sync_at: at(60 * MINUTE).toISOString(),
      };
      assert.deepEqual(await row(), synced);

      assert.equal(
        await leases.recordOutcome(reg, 'a', {
          syncStatus: 'failed',
          lastError: 'The registry answered 503.',
          failureCount: 1,
          nextSyncAt: at(2 * MINUTE),
        }),
        true,
      );
      assert.deepEqual(await row(), {
        ...synced,
        sync_status: 'failed',
        last_error: 'The registry answered 503.',
        failure_count: 1,
        next_sync_at: at(2 * MINUTE).toISOString(),
      });
    });

    it('lists due registries: unprotected, upstream, unleased, scheduled now or never; never-synced first', async () => {
      const { storage: own } = await freshStorage();
      const due = new SyncLeaseRepository(own.db);
      const now = at(10 * MINUTE);
      const neverScheduled = await createRegistry(own.db);
      const overdue = await createRegistry(own.db, { next_sync_at: at(MINUTE).toISOString() });
      const dueNow = await createRegistry(own.db, { next_sync_at: now.toISOString(), kind: 'oci' });
      const expiredLease = await createRegistry(own.db, {
        next_sync_at: at(2 * MINUTE).toISOString(),
        lease_owner: 'dead',
        lease_expires_at: at(9 * MINUTE).toISOString(),
      });
      await createRegistry(own.db, { next_sync_at: at(11 * MINUTE).toISOString() });
      await createRegistry(own.db, { protected: 1 });
      await createRegistry(own.db, { kind: 'hosted' });
      await createRegistry(own.db, { lease_owner: 'busy', lease_expires_at: at(11 * MINUTE).toISOString() });

      const ids = (await due.dueForSync(now, 10)).map((r) => r.id);
      assert.deepEqual(ids, [neverScheduled, overdue, expiredLease, dueNow]);
      assert.deepEqual(
        (await due.dueForSync(now, 2)).map((r) => r.id),
        [neverScheduled, overdue],
      );
    });
  });

  describe('runs', () => {
    it('starts a run, finishes it once, and reads it back only through its registry', async () => {
      const reg = await createRegistry(storage.db);
      const other = await createRegistry(storage.db);
      const run = await runs.start(reg, 'manual', T0);
      assert.deepEqual(await runs.get(reg, run.id), run);
      assert.equal(run.status, 'running');
      assert.equal(run.started_at, T0.toISOString());
      assert.equal(await runs.get(other, run.id), undefined);

      assert.equal(await runs.finish(storage.db, run.id, SUCCEEDED, at(5_000)), true);
      assert.deepEqual(await runs.get(reg, run.id), {
        id: run.id,
        registry_id: reg,
        trigger: 'manual',
        status: 'succeeded',
        started_at: T0.toISOString(),
        finished_at: at(5_000).toISOString(),
        added: 3,
        updated: 2,
        removed: 1,
        unchanged: 10,
        warnings: SUCCEEDED.warnings,
        error: null,
        error_code: null,
      });
      assert.equal(
        await runs.finish(storage.db, run.id, { ...SUCCEEDED, status: 'failed' }, at(6_000)),
        false,
        'a closed run was closed again',
      );
      assert.equal((await runs.get(reg, run.id))?.status, 'succeeded');
    });

    it('stores at most MAX_STORED_WARNINGS warnings and says how many more there were', async () => {
      const reg = await createRegistry(storage.db);
      const run = await runs.start(reg, 'schedule', T0);
      const warnings = Array.from({ length: MAX_STORED_WARNINGS + 500 }, (_, i) => ({ message: `w${i}` }));
      await runs.finish(storage.db, run.id, { ...SUCCEEDED, warnings }, at(1));
      const stored = (await runs.get(reg, run.id))!.warnings;
      assert.equal(stored.length, MAX_STORED_WARNINGS);
      assert.deepEqual(stored[MAX_STORED_WARNINGS - 2], { message: `w${MAX_STORED_WARNINGS - 2}` });
      assert.deepEqual(stored.at(-1), { message: '501 more warnings were not stored.' });
    });

    it('lists a registry’s runs newest first, page by page', async () => {
      const reg = await createRegistry(storage.db);
      const other = await createRegistry(storage.db);
      const started: string[] = [];
      // Two runs share a start time: the id orders them, and no page boundary loses one.
      for (const ms of [0, 3_000, 1_000, 2_000, 2_000])
        started.push((await runs.start(reg, 'schedule', at(ms))).id);
      await runs.start(other, 'schedule', at(10_000));
      const tied = [started[3]!, started[4]!].sort().reverse();
      const expected = [started[1]!, ...tied, started[2]!, started[0]!];

      const all = await runs.listForRegistry(reg, 10);
      assert.deepEqual(
        all.map((r) => r.id),
        expected,
      );
      const pages: string[] = [];
      let cursor: { startedAt: string; id: string } | undefined;
      for (;;) {
        const page = await runs.listForRegistry(reg, 2, cursor);
        pages.push(...page.map((r) => r.id));
        const last = page.at(-1);
        if (page.length < 2 || !last) break;
        cursor = { startedAt: last.started_at, id: last.id };
      }
      assert.deepEqual(pages, expected);
    });

    it('fails runs left running by a dead process, but not live or recent ones', async () => {
      // failStale sweeps the whole database: a database of its own keeps other tests' runs out.
      const { storage: own } = await freshStorage();
      const stale = new SyncRunRepository(own.db);
      const orphaned = await createRegistry(own.db);
      const expired = await createRegistry(own.db, {
        lease_owner: 'dead',
        lease_expires_at: at(30 * MINUTE).toISOString(),
      });
      const live = await createRegistry(own.db, {
        lease_owner: 'alive',
        lease_expires_at: at(90 * MINUTE).toISOString(),
      });
      const recent = await createRegistry(own.db);
      const finished = await createRegistry(own.db);
      const runOrphaned = await stale.start(orphaned, 'schedule', T0);
      const runExpired = await stale.start(expired, 'manual', T0);
      const runLive = await stale.start(live, 'schedule', T0);
      const runRecent = await stale.start(recent, 'schedule', at(59 * MINUTE));
      const runFinished = await stale.start(finished, 'schedule', T0);
      await stale.finish(own.db, runFinished.id, SUCCEEDED, at(MINUTE));

      const now = at(60 * MINUTE);
      const closed = await stale.failStale(at(30 * MINUTE), now);
      const status = async (reg: string, id: string) => (await stale.get(reg, id))!;
      for (const [reg, run] of [
        [orphaned, runOrphaned],
        [expired, runExpired],
      ] as const) {
        const r = await status(reg, run.id);
        assert.equal(r.status, 'failed');
        assert.equal(r.error_code, INTERRUPTED_CODE);
        assert.match(r.error ?? '', /interrupted/);
        assert.equal(r.finished_at, now.toISOString());
      }
      assert.equal((await status(live, runLive.id)).status, 'running', 'a leased sync may still be running');
      assert.equal((await status(recent, runRecent.id)).status, 'running');
      assert.equal((await status(finished, runFinished.id)).status, 'succeeded');
      assert.equal(closed, 2);
      // The dead process's late finish is refused, so its caller rolls its catalog write back.
      assert.equal(await stale.finish(own.db, runExpired.id, SUCCEEDED, now), false);
    });
  });
});
