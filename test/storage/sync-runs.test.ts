import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Kysely } from 'kysely';
import { newId } from '../../src/shared/ids.js';
import type { Storage } from '../../src/storage/database.js';
import type { Database, HelmRegistriesTable } from '../../src/storage/schema.js';
import {
  INTERRUPTED_CODE,
  MAX_STORED_WARNINGS,
  SyncRunRepository,
  type SyncRunOutcome,
} from '../../src/sync/sync-run.repository.js';
import { freshStorages } from '../support/fresh-storage.js';
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

describe(`sync runs (${TEST_DB})`, () => {
  const storages = freshStorages('runs');
  let storage: Storage;
  let runs: SyncRunRepository;
  const freshStorage = () => storages.fresh();

  before(async () => {
    ({ storage } = await freshStorage());
    runs = new SyncRunRepository(storage.db);
  });
  after(async () => {
    await storages.removeAll();
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

    it('closes the run a stopped process left running when the next one opens', async () => {
      const reg = await createRegistry(storage.db);
      const orphan = await runs.start(reg, 'schedule', T0);
      const next = await runs.start(reg, 'manual', at(MINUTE));
      const closed = await runs.get(reg, orphan.id);
      assert.equal(closed?.status, 'failed');
      assert.equal(closed?.error_code, INTERRUPTED_CODE);
      assert.equal((await runs.get(reg, next.id))?.status, 'running');
      // The stopped process's late finish is refused, so it rolls its catalog write back.
      assert.equal(await runs.finish(storage.db, orphan.id, SUCCEEDED, at(2 * MINUTE)), false);
    });

    it('fails runs left running by a stopped process, but not live ones or those opened after its read', async () => {
      // failStale sweeps the whole database: a database of its own keeps other tests' runs out.
      const { storage: own } = await freshStorage();
      const stale = new SyncRunRepository(own.db);
      const orphaned = await createRegistry(own.db);
      // Its lease's holder stopped: the leases (jobs/) do not count it as being synced.
      const expired = await createRegistry(own.db);
      // A live process holds its lease: the caller names it among those being synced.
      const live = await createRegistry(own.db);
      const recent = await createRegistry(own.db);
      const finished = await createRegistry(own.db);
      const runOrphaned = await stale.start(orphaned, 'schedule', T0);
      const runExpired = await stale.start(expired, 'manual', T0);
      const runLive = await stale.start(live, 'schedule', T0);
      const runFinished = await stale.start(finished, 'schedule', T0);
      await stale.finish(own.db, runFinished.id, SUCCEEDED, at(MINUTE));

      const now = at(60 * MINUTE);
      let runRecent: Awaited<ReturnType<typeof stale.start>> | undefined;
      const closed = await stale.failStale(async () => {
        // A sync takes its lease and opens its run while the leases are being looked at: that look
        // may miss its lease, but the run came after the read and is left alone, whatever its start
        // time says (here one long past, as a host whose clock runs behind writes).
        runRecent = await stale.start(recent, 'schedule', T0);
        return [live];
      }, now);
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
      assert.equal((await status(recent, runRecent!.id)).status, 'running', 'a run opened after the read');
      assert.equal((await status(finished, runFinished.id)).status, 'succeeded');
      assert.equal(closed, 2);
      // The dead process's late finish is refused, so its caller rolls its catalog write back.
      assert.equal(await stale.finish(own.db, runExpired.id, SUCCEEDED, now), false);
    });
  });
});
