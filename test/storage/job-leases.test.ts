import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it as nodeIt } from 'node:test';
import SqliteDatabase from 'better-sqlite3';
import { Migrator, sql, type Kysely } from 'kysely';
import { pino } from 'pino';
import { JobLeaseRepository } from '../../src/jobs/job-lease.repository.js';
import { JobLeases, MISSED_BEATS, nodeOfOwner, type JobRunEvent } from '../../src/jobs/job-leases.js';
import { JobScheduleRepository } from '../../src/jobs/job-schedule.repository.js';
import { JobScheduler } from '../../src/jobs/job-scheduler.js';
import { JobWorkerRepository } from '../../src/jobs/job-worker.repository.js';
import { PeriodicJob } from '../../src/jobs/periodic-job.js';
import { newId } from '../../src/shared/ids.js';
import { migrateToLatest, type Storage } from '../../src/storage/database.js';
import { dbNowIso } from '../../src/storage/db-clock.js';
import { migrations } from '../../src/storage/migrations/index.js';
import type { Database, HelmRegistriesTable } from '../../src/storage/schema.js';
import { SyncStateRepository } from '../../src/sync/sync-state.repository.js';
import { asProcess, FakeKind, KillableWorkers, sleep } from '../support/job-doubles.js';
import { freshStorages } from '../support/fresh-storage.js';
import { registryRow } from '../support/registry-rows.js';
import { TEST_DB } from '../support/server.js';

const T0 = new Date('2026-01-01T00:00:00.000Z');
const at = (ms: number): Date => new Date(T0.getTime() + ms);
const SECOND = 1_000;
const MINUTE = 60 * SECOND;
/** Short beats keep the file fast: a silent process loses its leases after 3 × 200 ms. */
const HEARTBEAT_MS = 200;
const STALE_MS = MISSED_BEATS * HEARTBEAT_MS;
const logger = pino({ level: 'silent' });
/** A random name suffix (not newId().slice(0, 8): that is the time prefix of a UUIDv7, equal for a minute). */
const rnd = (): string => randomBytes(4).toString('hex');

/** Every test fails rather than hangs (a release ignoring its transaction deadlocks SQLite's one connection). */
const it = (name: string, fn: () => Promise<void>): void => {
  // The runner awaits its tests itself.
  void nodeIt(name, { timeout: 10_000 }, fn);
};

const BEFORE_JOBS = '2026-12-05T00-00-invitations';
const JOBS = '2026-12-05T01-00-jobs';

function migratorFor(db: Kysely<Database>): Migrator {
  // As migrateToLatest (src/storage/database.ts) builds it: the same migrations and table names.
  return new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableName: 'charthouse_migrations',
    migrationLockTableName: 'charthouse_migration_lock',
  });
}

describe(`job leases, scheduler, periodic jobs and sync state (${TEST_DB})`, () => {
  const storages = freshStorages('jobs');
  const processes: JobLeases[] = [];
  /** A fresh database (SQLite file in a temp folder, or a new PostgreSQL database), migrated unless told. */
  const freshStorage = (migrate = true) => storages.fresh({ migrate });

  /** A server process's job leases over `db`; closed after the file. */
  let nextPid = 100_000;
  /**
   * A server process's job leases over `db`, with a pid of its own (as separate processes on one host
   * have); closed after the file. `pid` pins it, as containers that all run as pid 1 would.
   */
  function processOn(
    db: Kysely<Database>,
    workers = new JobWorkerRepository(db, storage.dialect),
    pid = nextPid++,
    options: { node?: string; observe?: (e: JobRunEvent) => void } = {},
  ): JobLeases {
    const p = asProcess(
      pid,
      () =>
        new JobLeases({
          workers,
          leases: new JobLeaseRepository(db, storage.dialect),
          heartbeatMs: HEARTBEAT_MS,
          logger,
          node: options.node ?? `test-node-${pid}`,
          ...(options.observe ? { observe: options.observe } : {}),
        }),
    );
    processes.push(p);
    return p;
  }

  let storage: Storage;
  let openMore: (maxConnections?: number) => Storage;
  // The code under test unrefs its timers (a server has its listener to keep it up); a test has not.
  let keepAlive: NodeJS.Timeout;
  before(async () => {
    keepAlive = setInterval(() => undefined, 1_000);
    ({ storage, open: openMore } = await freshStorage());
  });
  after(async () => {
    clearInterval(keepAlive);
    for (const p of processes) await p.close();
    await storages.removeAll();
  });

  const workerRow = (id: string) => ({ id, host: 'test-host', pid: 1, startedAt: T0 });
  /** A heartbeat now, by the database's clock, as the process `id` sends it. */
  const beat = (id: string, db: Kysely<Database> = storage.db) =>
    new JobWorkerRepository(db, storage.dialect).beat(workerRow(id));
  /** The process `id` last beat `ms` ago by the database's clock (a silent one, or one just alive). */
  const beatAgo = async (id: string, ms: number) => {
    const stamp = dbNowIso(storage.dialect, ms);
    await storage.db
      .insertInto('job_workers')
      .values({ id, host: 'test-host', pid: 1, started_at: T0.toISOString(), heartbeat_at: stamp })
      .onConflict((oc) => oc.column('id').doUpdateSet({ heartbeat_at: stamp }))
      .execute();
  };
  const dbNow = async () =>
    (await sql<{ now: string }>`select ${dbNowIso(storage.dialect)} as now`.execute(storage.db)).rows[0]!.now;
  const holder = async (key: string, db: Kysely<Database> = storage.db) =>
    (await db.selectFrom('job_leases').select('owner').where('key', '=', key).executeTakeFirst())?.owner;
  const uniqueKey = (kind = 'test') => `${kind}:${newId()}`;

  describe('JobLeaseRepository', () => {
    // Ages are the database's: a holder that beat less than STALE ago is live.
    const STALE = 10 * SECOND;
    let repo: JobLeaseRepository;
    before(() => {
      repo = new JobLeaseRepository(storage.db, storage.dialect);
    });

    it('takes a free key, and records who took it and when, by the database’s clock', async () => {
      const key = uniqueKey();
      const before = await dbNow();
      assert.equal(await repo.take(key, 'test', 'p-free', STALE), true);
      const after = await dbNow();
      const row = await storage.db
        .selectFrom('job_leases')
        .selectAll()
        .where('key', '=', key)
        .executeTakeFirstOrThrow();
      assert.deepEqual(
        { ...row, acquired_at: undefined },
        { key, kind: 'test', owner: 'p-free', acquired_at: undefined },
      );
      assert.equal(
        new Date(row.acquired_at).toISOString(),
        row.acquired_at,
        'not stored as toISOString() text',
      );
      assert.ok(
        before <= row.acquired_at && row.acquired_at <= after,
        `${before} ${row.acquired_at} ${after}`,
      );
    });

    it('refuses a key whose owner heartbeats, takes it once the owner is silent or unknown', async () => {
      const owner = `live-${newId()}`;
      const key = uniqueKey();
      await beat(owner);
      assert.equal(await repo.take(key, 'test', owner, STALE), true);
      assert.equal(await repo.take(key, 'test', 'other', STALE), false, 'took a live lease');
      assert.equal(await holder(key), owner);
      // A heartbeat a little younger than the window still counts.
      await beatAgo(owner, STALE - 2 * SECOND);
      assert.equal(await repo.take(key, 'test', 'other', STALE), false, 'a beat inside the window is live');

      // The owner's last beat is older than the window: it missed its beats, the lease is free.
      await beatAgo(owner, STALE + 2 * SECOND);
      assert.equal(await repo.take(key, 'test', 'other', STALE), true, 'kept by a silent owner');
      assert.equal(await holder(key), 'other');

      // An owner that never beat (or was pruned) holds nothing.
      const orphan = uniqueKey();
      await storage.db
        .insertInto('job_leases')
        .values({ key: orphan, kind: 'test', owner: `gone-${newId()}`, acquired_at: T0.toISOString() })
        .execute();
      assert.equal(await repo.take(orphan, 'test', 'heir', STALE), true, 'kept by a missing owner');
      assert.equal(await holder(orphan), 'heir');
    });

    it('forces a key away from a live owner', async () => {
      const owner = `live-${newId()}`;
      const key = uniqueKey();
      await beat(owner);
      assert.equal(await repo.take(key, 'test', owner, STALE), true);
      assert.equal(await repo.take(key, 'test', 'operator', STALE), false);
      assert.equal(await repo.take(key, 'test', 'operator', STALE, { force: true }), true);
      assert.equal(await holder(key), 'operator');
      assert.equal(await repo.release(key, owner), false, 'the forced-out owner released it');
    });

    it('lets a live owner reclaim its own row only when asked', async () => {
      const owner = `live-${newId()}`;
      const key = uniqueKey();
      await beat(owner);
      assert.equal(await repo.take(key, 'test', owner, STALE), true);
      await storage.db
        .updateTable('job_leases')
        .set({ acquired_at: T0.toISOString() })
        .where('key', '=', key)
        .execute();
      assert.equal(await repo.take(key, 'test', owner, STALE), false, 'reclaimed without asking');
      assert.equal(await repo.take(key, 'test', owner, STALE, { reclaimOwn: false }), false);
      assert.equal(await repo.take(key, 'test', owner, STALE, { reclaimOwn: true }), true);
      const row = await storage.db
        .selectFrom('job_leases')
        .select(['owner', 'acquired_at'])
        .where('key', '=', key)
        .executeTakeFirstOrThrow();
      assert.equal(row.owner, owner);
      assert.notEqual(row.acquired_at, T0.toISOString(), 'a reclaim did not restamp the lease');
      // reclaimOwn is about one's own row: it never takes another live owner's.
      assert.equal(await repo.take(key, 'test', 'other', STALE, { reclaimOwn: true }), false);
    });

    it('keeps the lease when the releasing transaction rolls back; frees it on commit', async () => {
      const owner = `live-${newId()}`;
      const key = uniqueKey();
      await beat(owner);
      assert.equal(await repo.take(key, 'test', owner, STALE), true);
      await assert.rejects(
        storage.db.transaction().execute(async (trx) => {
          assert.equal(await repo.release(key, owner, trx), true);
          throw new Error('the job result could not be recorded');
        }),
        /could not be recorded/,
      );
      assert.equal(await holder(key), owner, 'a rolled-back release freed the lease');
      assert.equal(await repo.take(key, 'test', 'other', STALE), false);

      assert.equal(await repo.release(key, 'other'), false, 'a non-owner released it');
      assert.equal(await holder(key), owner);

      await storage.db.transaction().execute(async (trx) => {
        assert.equal(await repo.release(key, owner, trx), true);
      });
      assert.equal(await holder(key), undefined);
      assert.equal(await repo.release(key, owner), false, 'released twice');
      assert.equal(await repo.take(key, 'test', 'other', STALE), true, 'not free after commit');
    });

    it('lists a kind’s leases with whether their holder is alive; releaseAll frees one owner’s', async () => {
      const kind = `list-${rnd()}`;
      const live = `live-${newId()}`;
      const dead = `dead-${newId()}`;
      const late = `late-${newId()}`;
      await beat(live);
      await beatAgo(dead, STALE + 2 * SECOND);
      await beatAgo(late, STALE - 2 * SECOND);
      assert.equal(await repo.take(`${kind}:a`, kind, live, STALE), true);
      assert.equal(await repo.take(`${kind}:b`, kind, dead, STALE), true);
      assert.equal(await repo.take(`${kind}:c`, kind, 'never-beat', STALE), true);
      assert.equal(await repo.take(`${kind}:d`, kind, live, STALE), true);
      assert.equal(await repo.take(`${kind}:e`, kind, late, STALE), true);
      const rows = (await repo.list(kind, STALE)).sort((x, y) => x.key.localeCompare(y.key));
      assert.deepEqual(
        rows.map((r) => [r.key, r.owner, r.live]),
        [
          [`${kind}:a`, live, true],
          [`${kind}:b`, dead, false],
          [`${kind}:c`, 'never-beat', false],
          [`${kind}:d`, live, true],
          [`${kind}:e`, late, true],
        ],
      );
      assert.equal(await repo.releaseAll(live), 2);
      assert.equal(await repo.releaseAll(late), 1);
      assert.deepEqual((await repo.list(kind, STALE)).map((r) => r.key).sort(), [`${kind}:b`, `${kind}:c`]);
      // Housekeeping drops the lease of an owner no process row names; a silent but known one stays.
      assert.ok((await repo.pruneOrphans()) >= 1);
      assert.deepEqual(
        (await repo.list(kind, STALE)).map((r) => r.key),
        [`${kind}:b`],
      );
    });

    it('forgets processes silent longer than asked, by the database’s clock', async () => {
      const workers = new JobWorkerRepository(storage.db, storage.dialect);
      const old = `old-${newId()}`;
      const recent = `recent-${newId()}`;
      await beatAgo(old, 2 * MINUTE);
      await beatAgo(recent, MINUTE / 2);
      assert.ok((await workers.prune(MINUTE)) >= 1);
      const left = await storage.db
        .selectFrom('job_workers')
        .select('id')
        .where('id', 'in', [old, recent])
        .execute();
      assert.deepEqual(
        left.map((r) => r.id),
        [recent],
      );
    });

    it('lets exactly one of 20 live processes taking one free key at once win', async () => {
      const conns = [storage, openMore(), openMore(), openMore()];
      const owners = Array.from({ length: 20 }, (_, i) => `racer-${i}-${newId()}`);
      for (const o of owners) await beat(o);
      for (let round = 0; round < 3; round++) {
        const key = uniqueKey();
        const won = await Promise.all(
          owners.map((o, i) =>
            new JobLeaseRepository(conns[i % conns.length]!.db, storage.dialect).take(key, 'test', o, STALE),
          ),
        );
        assert.equal(won.filter(Boolean).length, 1, `winners: ${JSON.stringify(won)}`);
        assert.equal(await holder(key), owners[won.indexOf(true)]);
      }
    });

    it('lets exactly one of 20 live processes steal one stale lease at once', async () => {
      const conns = [storage, openMore(), openMore(), openMore()];
      const owners = Array.from({ length: 20 }, (_, i) => `thief-${i}-${newId()}`);
      for (const o of owners) await beat(o);
      for (let round = 0; round < 3; round++) {
        const key = uniqueKey();
        const dead = `dead-${newId()}`;
        await beatAgo(dead, 10 * STALE);
        assert.equal(await repo.take(key, 'test', dead, STALE), true);
        const won = await Promise.all(
          owners.map((o, i) =>
            new JobLeaseRepository(conns[i % conns.length]!.db, storage.dialect).take(key, 'test', o, STALE),
          ),
        );
        assert.equal(won.filter(Boolean).length, 1, `winners: ${JSON.stringify(won)}`);
        assert.equal(await holder(key), owners[won.indexOf(true)]);
      }
    });
  });

  describe('JobWorkerRepository', () => {
    it('writes a heartbeat; on SQLite skips it rather than wait behind another writer', async () => {
      const workers = new JobWorkerRepository(storage.db, storage.dialect);
      const worker = { id: `beat-${randomBytes(4).toString('hex')}`, host: 'h', pid: 1, startedAt: T0 };
      assert.equal(await workers.beat(worker), true);
      if (storage.sqliteFile === null) return;
      // A sync's index worker holding the write lock, as another connection to the file.
      const locker = new SqliteDatabase(storage.sqliteFile);
      try {
        locker.exec('BEGIN IMMEDIATE');
        const started = performance.now();
        assert.equal(await workers.beat(worker), false);
        assert.ok(performance.now() - started < 1_000, 'did not wait the busy timeout');
      } finally {
        locker.exec('ROLLBACK');
        locker.close();
      }
      assert.equal(await workers.beat(worker), true);
      // The connection's own busy timeout is back: other writes still wait for the lock.
      const [pragma] = (await sql<{ timeout: number }>`pragma busy_timeout`.execute(storage.db)).rows;
      assert.ok(Number(pragma?.timeout) >= 1_000, JSON.stringify(pragma));
    });
  });

  describe('JobLeases', () => {
    it('acquires, refuses its own running key, and frees it with the result or by abandoning', async () => {
      const p = processOn(storage.db);
      const key = uniqueKey('jl');
      const lease = await p.acquire(key, 'jl');
      assert.ok(lease, 'a free key was refused');
      assert.equal(lease.owner, p.owner);
      assert.equal(await holder(key), p.owner);
      const worker = await storage.db
        .selectFrom('job_workers')
        .selectAll()
        .where('id', '=', p.owner)
        .executeTakeFirst();
      assert.ok(worker, 'acquire did not wait for the first heartbeat');

      assert.equal(await p.acquire(key, 'jl'), null, 'a running job was doubled');
      assert.equal(await p.acquire(key, 'jl', { force: true }), null, 'force doubled a running job');
      assert.equal(await holder(key), p.owner);

      // The result's transaction rolls back: the lease stays, and the job still runs here.
      await assert.rejects(
        storage.db.transaction().execute(async (trx) => {
          assert.equal(await p.release(lease, trx), true);
          throw new Error('rollback');
        }),
      );
      assert.equal(await holder(key), p.owner);
      await storage.db.transaction().execute(async (trx) => {
        assert.equal(await p.release(lease, trx), true);
      });
      p.finished(lease, 'succeeded');
      assert.equal(await holder(key), undefined);
      assert.deepEqual((await p.survey('jl')).busy.has(key), false);

      const again = await p.acquire(key, 'jl');
      assert.ok(again, 'not free after release + finished');
      assert.notEqual(again.token, lease.token);
      // A stale `finished` of the earlier holding does not forget the new one.
      p.finished(lease, 'succeeded');
      assert.equal(await p.acquire(key, 'jl'), null, 'finished() of an old lease forgot the new one');
      await p.abandon(again, 'failed');
      assert.equal(await holder(key), undefined);
      assert.ok(await p.acquire(key, 'jl'), 'not free after abandon');
    });

    it('keeps another process out while the holder heartbeats, and frees the key within 3 beats of a kill', async () => {
      const workersA = new KillableWorkers(storage.db, storage.dialect);
      const a = processOn(storage.db, workersA);
      const b = processOn(openMore().db);
      const key = uniqueKey('kill');
      const lease = await a.acquire(key, 'kill');
      assert.ok(lease);
      await b.start();

      // Alive for well over the stale window: B never gets it.
      const aliveUntil = Date.now() + 2 * STALE_MS;
      while (Date.now() < aliveUntil) {
        assert.equal(await b.acquire(key, 'kill'), null, 'taken from a live, heartbeating holder');
        assert.deepEqual((await b.survey('kill')).busy.has(key), true);
        await sleep(50);
      }

      // kill -9: no more beats, nothing released.
      workersA.kill();
      const lastBeat = workersA.lastBeatAt!;
      let taken = null;
      while (!taken && Date.now() - lastBeat < STALE_MS + 5 * HEARTBEAT_MS) {
        taken = await b.acquire(key, 'kill');
        if (!taken) await sleep(25);
      }
      const after = Date.now() - lastBeat;
      assert.ok(taken, `not taken over ${after} ms after the last beat`);
      // Not before the holder missed its beats (less a little clock slack).
      assert.ok(after >= STALE_MS - 50, `taken over after ${after} ms, before ${MISSED_BEATS} missed beats`);
      assert.ok(after <= STALE_MS + 2 * HEARTBEAT_MS, `took ${after} ms`);
      assert.equal(await holder(key), b.owner);

      // The killed holder's late commit finds the lease gone.
      assert.equal(await a.release(lease), false);
      assert.equal(await holder(key), b.owner);
    });

    it('holds a lease taken before its first heartbeat lands', async () => {
      const slow = new KillableWorkers(storage.db, storage.dialect);
      slow.beatDelayMs = 150;
      const a = processOn(storage.db, slow);
      const b = processOn(storage.db);
      await b.start();
      const key = uniqueKey('first');
      const started = Date.now();
      assert.ok(await a.acquire(key, 'first'));
      assert.ok(Date.now() - started >= 140, 'acquire did not wait for the first heartbeat');
      assert.equal(await b.acquire(key, 'first'), null, 'taken from a process before its first beat landed');
    });

    it('lets another process take over at once after close()', async () => {
      const a = processOn(storage.db);
      const b = processOn(storage.db);
      const key = uniqueKey('close');
      assert.ok(await a.acquire(key, 'close'));
      await b.start();
      assert.equal(await b.acquire(key, 'close'), null);
      await a.close();
      assert.ok(await b.acquire(key, 'close'), 'not free after the holder closed');
      const worker = await storage.db
        .selectFrom('job_workers')
        .select('id')
        .where('id', '=', a.owner)
        .executeTakeFirst();
      assert.equal(worker, undefined, 'close() left its worker row');
    });

    it('force takes a key from another live process, whose commit then fails', async () => {
      const a = processOn(storage.db);
      const b = processOn(storage.db);
      const key = uniqueKey('force');
      const held = await a.acquire(key, 'force');
      assert.ok(held);
      assert.equal(await b.acquire(key, 'force'), null);
      const forced = await b.acquire(key, 'force', { force: true });
      assert.ok(forced, 'force did not take it');
      assert.equal(await holder(key), b.owner);
      await storage.db.transaction().execute(async (trx) => {
        assert.equal(await a.release(held, trx), false, 'the forced-out holder released it');
      });
      assert.equal(await holder(key), b.owner);
    });

    it('surveys busy and abandoned keys, its own left-behind lease included, and reclaims that one', async () => {
      const kind = `survey${rnd()}`;
      const a = processOn(storage.db);
      const other = processOn(storage.db);
      const running = await a.acquire(`${kind}:running`, kind);
      assert.ok(running);
      assert.ok(await other.acquire(`${kind}:elsewhere`, kind));
      // A's own lease row that it no longer holds in memory (its release failed after the job ended).
      const leftBehind = await a.acquire(`${kind}:left`, kind);
      assert.ok(leftBehind);
      a.finished(leftBehind, 'succeeded');
      // A dead process's and a never-registered process's.
      const dead = `dead-${newId()}`;
      await beatAgo(dead, 10 * STALE_MS);
      await storage.db
        .insertInto('job_leases')
        .values([
          { key: `${kind}:dead`, kind, owner: dead, acquired_at: T0.toISOString() },
          { key: `${kind}:ghost`, kind, owner: `ghost-${newId()}`, acquired_at: T0.toISOString() },
          { key: `other${kind}:x`, kind: `other${kind}`, owner: dead, acquired_at: T0.toISOString() },
        ])
        .execute();

      const seen = await a.survey(kind);
      assert.deepEqual([...seen.busy].sort(), [`${kind}:elsewhere`, `${kind}:running`]);
      assert.deepEqual([...seen.abandoned].sort(), [`${kind}:dead`, `${kind}:ghost`, `${kind}:left`]);
      // The other process sees A's leftover as A's live lease: only A knows it is not running it.
      assert.deepEqual([...(await other.survey(kind)).busy].sort(), [
        `${kind}:elsewhere`,
        `${kind}:left`,
        `${kind}:running`,
      ]);
      assert.equal(await other.acquire(`${kind}:left`, kind), null);

      const reclaimed = await a.acquire(`${kind}:left`, kind);
      assert.ok(reclaimed, 'its own left-behind lease was not reclaimed');
      assert.ok(await a.acquire(`${kind}:dead`, kind), 'a dead process’s lease was not taken');
      const now = await a.survey(kind);
      assert.deepEqual([...now.busy].sort(), [
        `${kind}:dead`,
        `${kind}:elsewhere`,
        `${kind}:left`,
        `${kind}:running`,
      ]);
      assert.deepEqual(now.abandoned, [`${kind}:ghost`]);
    });

    it('names two processes apart even when host and pid are the same (containers running as pid 1)', async () => {
      // Two replicas on one host's network (same hostname), both pid 1, started within the same minute.
      const a = processOn(storage.db, undefined, 1);
      const b = processOn(storage.db, undefined, 1);
      assert.notEqual(a.owner, b.owner, 'two processes share one owner id');
      const key = uniqueKey('pid1');
      assert.ok(await a.acquire(key, 'pid1'));
      await b.start();
      assert.equal(await b.acquire(key, 'pid1'), null, 'another process doubled a running job');
    });

    it('owns its leases as <node id>/<random>: a second process given the same node id shares none', async () => {
      const node = `node-${rnd()}`;
      const a = processOn(storage.db, undefined, undefined, { node });
      const b = processOn(storage.db, undefined, undefined, { node });
      assert.ok(a.owner.startsWith(`${node}/`), a.owner);
      assert.notEqual(a.owner, b.owner);
      assert.equal(nodeOfOwner(a.owner), node);
      // Owners written before node ids existed name themselves.
      assert.equal(nodeOfOwner('host:1:0123abcd'), 'host:1:0123abcd');
      const key = uniqueKey('same-node');
      assert.ok(await a.acquire(key, 'same-node'));
      await b.start();
      assert.equal(await b.acquire(key, 'same-node'), null, 'a namesake doubled a running job');
    });

    it("tells every run's end, timed from its lease, and counts the jobs running here per kind", async () => {
      const kind = `observed${rnd()}`;
      const events: JobRunEvent[] = [];
      const observe = (e: JobRunEvent) => void events.push(e);
      const a = processOn(storage.db, undefined, undefined, { observe });
      const b = processOn(storage.db, undefined, undefined, { observe });
      const first = await a.acquire(`${kind}:1`, kind);
      const second = await a.acquire(`${kind}:2`, kind);
      assert.ok(first && second);
      assert.equal(a.running().get(kind), 2);
      assert.equal(events.length, 0, 'a start counted as an end');

      await b.start();
      assert.equal(await b.acquire(`${kind}:1`, kind), null);
      assert.deepEqual([...events], [{ kind, outcome: 'skipped', seconds: null }]);

      await storage.db.transaction().execute(async (trx) => {
        assert.equal(await a.release(first, trx), true);
      });
      a.finished(first, 'succeeded');
      a.finished(first, 'succeeded');
      await a.abandon(second, 'failed');
      assert.deepEqual(
        events.slice(1).map((e) => [e.kind, e.outcome]),
        [
          [kind, 'succeeded'],
          [kind, 'failed'],
        ],
        'one end told twice, or not at all',
      );
      for (const e of events.slice(1)) assert.ok(e.seconds !== null && e.seconds >= 0, String(e.seconds));
      assert.equal(a.running().get(kind), undefined);

      // A run that cannot even take its lease (the database away) has failed.
      class Away extends JobLeaseRepository {
        override take(): Promise<boolean> {
          return Promise.reject(new Error('the database is away'));
        }
      }
      const away = new JobLeases({
        workers: new JobWorkerRepository(storage.db, storage.dialect),
        leases: new Away(storage.db, storage.dialect),
        heartbeatMs: HEARTBEAT_MS,
        logger,
        node: 'away',
        observe,
      });
      processes.push(away);
      await assert.rejects(away.acquire(`${kind}:3`, kind), /away/);
      assert.deepEqual(events.at(-1), { kind, outcome: 'failed', seconds: null });
    });

    it('counts every lease per kind and holding node, live or not', async () => {
      const kind = `held${rnd()}`;
      const nodeA = `a-${rnd()}`;
      const a = processOn(storage.db, undefined, undefined, { node: nodeA });
      const b = processOn(storage.db, undefined, undefined, { node: `b-${rnd()}` });
      assert.ok(await a.acquire(`${kind}:1`, kind));
      assert.ok(await a.acquire(`${kind}:2`, kind));
      assert.ok(await b.acquire(`${kind}:3`, kind));
      // A stopped server's lease (silent for long), and one of a server never registered.
      const dead = `dead-${rnd()}/0123abcd`;
      await beatAgo(dead, 10 * STALE_MS);
      await storage.db
        .insertInto('job_leases')
        .values([
          { key: `${kind}:4`, kind, owner: dead, acquired_at: T0.toISOString() },
          { key: `${kind}:5`, kind, owner: 'gone:1:0123abcd', acquired_at: T0.toISOString() },
        ])
        .execute();
      const mine = (await a.holdings()).filter((h) => h.kind === kind);
      const order = (h: { node: string }) => h.node;
      assert.deepEqual(
        mine.sort((x, y) => order(x).localeCompare(order(y))),
        [
          { kind, node: nodeA, live: true, leases: 2 },
          { kind, node: nodeOfOwner(b.owner), live: true, leases: 1 },
          { kind, node: dead.split('/')[0]!, live: false, leases: 1 },
          { kind, node: 'gone:1:0123abcd', live: false, leases: 1 },
        ].sort((x, y) => order(x).localeCompare(order(y))),
      );
    });

    it('counts a key it runs as busy even when its row was taken away', async () => {
      const kind = `gone${rnd()}`;
      const a = processOn(storage.db);
      const b = processOn(storage.db);
      assert.ok(await a.acquire(`${kind}:1`, kind));
      assert.ok(await b.acquire(`${kind}:1`, kind, { force: true }));
      await b.close();
      assert.deepEqual([...(await a.survey(kind)).busy], [`${kind}:1`]);
    });
  });

  describe('JobScheduler', () => {
    const schedulers: JobScheduler[] = [];
    const kinds: FakeKind[] = [];
    after(async () => {
      for (const k of kinds) k.finishAll();
      for (const s of schedulers) await s.stop(100);
    });
    function scheduler(k: FakeKind[], tickMs = 60_000): JobScheduler {
      kinds.push(...k);
      const s = new JobScheduler({ kinds: k, tickMs, logger });
      schedulers.push(s);
      return s;
    }
    /** Let finished jobs' `.finally` bookkeeping run. */
    const settle = () => sleep(5);

    it('runs at most `concurrency` jobs of a kind, starting the next when one ends', async () => {
      const ids = ['a', 'b', 'c', 'd', 'e'];
      const pending = new Set(ids);
      const limits: number[] = [];
      const kind = new FakeKind('conc', 2, (limit) => {
        limits.push(limit);
        // Offer more than asked: the scheduler must still respect its concurrency.
        return [...pending];
      });
      const s = scheduler([kind]);
      await s.tick();
      assert.deepEqual(kind.started, ['conc:a', 'conc:b']);
      for (const k of kind.started) pending.delete(k.slice(5));
      await s.tick();
      assert.equal(kind.started.length, 2, 'started a third while two ran');
      kind.finish('conc:a');
      await settle();
      await s.tick();
      assert.deepEqual(kind.started, ['conc:a', 'conc:b', 'conc:c']);
      assert.equal(kind.maxRunning, 2);
      assert.ok(
        limits.every((l) => l >= 1 && l <= 2),
        `due() asked for ${JSON.stringify(limits)}`,
      );
      kind.finishAll();
    });

    it('does not start a key that is already running here', async () => {
      const kind = new FakeKind('dup', 3, () => ['same', 'same']);
      const s = scheduler([kind]);
      await s.tick();
      await s.tick();
      await s.tick();
      assert.deepEqual(kind.started, ['dup:same']);
      kind.finish('dup:same');
      await settle();
      await s.tick();
      assert.deepEqual(kind.started, ['dup:same', 'dup:same'], 'not started again once over');
      kind.finishAll();
    });

    it('keeps looking after a kind’s due() throws, and still serves the other kinds', async () => {
      let failing = true;
      const bad = new FakeKind(
        'bad',
        1,
        () => ['x'],
        () => failing,
      );
      const good = new FakeKind('good', 1, () => ['y']);
      const s = scheduler([bad, good], 20);
      s.start();
      await sleep(150);
      assert.ok(bad.dueCalls >= 3, `due() called ${bad.dueCalls} times: the loop stopped after a throw`);
      assert.deepEqual(good.started, ['good:y'], 'another kind was starved by the failing one');
      failing = false;
      await sleep(100);
      assert.deepEqual(bad.started, ['bad:x'], 'did not recover once due() worked again');
      await s.stop(0);
      bad.finishAll();
      good.finishAll();
    });

    it('stop() waits for running jobs, but no longer than its grace', async () => {
      const kind = new FakeKind('stop', 2, () => ['quick', 'stuck']);
      const s = scheduler([kind], 20);
      s.start();
      await sleep(30);
      assert.deepEqual(kind.started.sort(), ['stop:quick', 'stop:stuck']);
      setTimeout(() => kind.finish('stop:quick'), 100);
      const t0 = Date.now();
      await s.stop(400);
      const waited = Date.now() - t0;
      assert.ok(kind.finished.includes('stop:quick'), 'stop() returned before the running job ended');
      assert.ok(waited >= 350 && waited < 1_000, `waited ${waited} ms for a stuck job (grace 400)`);
      const calls = kind.dueCalls;
      await sleep(80);
      assert.equal(kind.dueCalls, calls, 'kept looking after stop()');

      // Nothing running: stop() is immediate. All running ended before the grace: it does not wait it out.
      kind.finish('stop:stuck');
      await settle();
      const s2 = scheduler([new FakeKind('idle', 1, () => [])]);
      const t1 = Date.now();
      await s2.stop(5_000);
      assert.ok(Date.now() - t1 < 200);
      const quick = new FakeKind('quick', 1, () => ['q']);
      const s3 = scheduler([quick]);
      await s3.tick();
      setTimeout(() => quick.finish('quick:q'), 50);
      const t2 = Date.now();
      await s3.stop(5_000);
      assert.ok(Date.now() - t2 < 1_000, 'waited out the whole grace after the jobs ended');
      assert.deepEqual(quick.finished, ['quick:q']);
    });
  });

  describe('PeriodicJob', () => {
    const HOUR = 60 * MINUTE;
    function job(name: string, leases: JobLeases, work: (now: Date) => Promise<void>, db = storage.db) {
      return new PeriodicJob({
        name,
        intervalMs: HOUR,
        leases,
        schedule: new JobScheduleRepository(db),
        work,
        logger,
      });
    }
    const scheduleOf = (key: string) =>
      storage.db.selectFrom('job_schedule').selectAll().where('key', '=', key).executeTakeFirst();

    it('runs when it has no schedule row, then not again before its next run', async () => {
      const name = `periodic${rnd()}`;
      let runs = 0;
      const p = job(name, processOn(storage.db), async () => {
        runs++;
      });
      const now = new Date();
      const due = await p.due(now);
      assert.deepEqual(
        due.map((d) => d.key),
        [`${name}:all`],
      );
      const before = Date.now();
      await due[0]!.run();
      assert.equal(runs, 1);
      const row = await scheduleOf(`${name}:all`);
      assert.ok(row);
      assert.equal(row.failure_count, 0);
      assert.equal(row.last_error, null);
      const next = new Date(row.next_run_at).getTime();
      assert.ok(
        next >= before + 0.9 * HOUR && next <= Date.now() + 1.1 * HOUR,
        `next run at ${row.next_run_at}`,
      );
      assert.equal(await holder(`${name}:all`), undefined, 'the lease outlived the run');

      assert.deepEqual(await p.due(new Date()), []);
      assert.deepEqual(await p.due(new Date(next - 1)), []);
      assert.equal((await p.due(new Date(next))).length, 1, 'not due at its next run time');
      // A scheduler's job that lost the race to a process which already ran it finds it done.
      await due[0]!.run();
      assert.equal(runs, 1, 'ran again before its next run time');
      assert.equal(await holder(`${name}:all`), undefined);
    });

    it('backs off after a failure: 1 minute, then 2', async () => {
      const name = `failing${rnd()}`;
      const p = job(name, processOn(storage.db), async () => {
        throw new Error('the blob store is away');
      });
      const [first] = await p.due(new Date());
      let t = Date.now();
      await first!.run();
      let row = await scheduleOf(`${name}:all`);
      assert.ok(row);
      assert.equal(row.failure_count, 1);
      assert.equal(row.last_error, 'the blob store is away');
      let wait = new Date(row.next_run_at).getTime() - t;
      assert.ok(wait >= MINUTE - 1_000 && wait <= MINUTE + 1_000, `retry after ${wait} ms`);
      assert.equal(await holder(`${name}:all`), undefined);

      const [second] = await p.due(new Date(row.next_run_at));
      assert.ok(second, 'not due at its retry time');
      t = Date.now();
      await p.runOnce(new Date(row.next_run_at));
      row = await scheduleOf(`${name}:all`);
      assert.equal(row?.failure_count, 2);
      wait = new Date(row!.next_run_at).getTime() - t;
      assert.ok(wait >= 2 * MINUTE - 1_000 && wait <= 2 * MINUTE + 1_000, `second retry after ${wait} ms`);
    });

    it('tells its leases how each run went: succeeded, failed, or skipped when found done', async () => {
      const events: JobRunEvent[] = [];
      const leases = processOn(storage.db, undefined, undefined, { observe: (e) => void events.push(e) });
      const name = `told${rnd()}`;
      let fail = false;
      const p = job(name, leases, async () => {
        if (fail) throw new Error('the blob store is away');
      });
      const [due] = await p.due(new Date());
      await due!.run();
      await due!.run();
      fail = true;
      await p.runOnce();
      assert.deepEqual(
        events.map((e) => [e.kind, e.outcome, e.seconds === null]),
        [
          [name, 'succeeded', false],
          [name, 'skipped', false],
          [name, 'failed', false],
        ],
      );
    });

    it('runs once when two processes look and run at the same time', async () => {
      const other = openMore();
      for (let round = 0; round < 5; round++) {
        const name = `shared${rnd()}`;
        let runs = 0;
        const work = async () => {
          runs++;
          await sleep(30);
        };
        const here = job(name, processOn(storage.db), work);
        const there = job(name, processOn(other.db), work, other.db);
        const now = new Date();
        const [dueHere, dueThere] = await Promise.all([here.due(now), there.due(now)]);
        assert.equal(dueHere.length + dueThere.length, 2, 'both should see it due');
        await Promise.all([...dueHere, ...dueThere].map((d) => d.run()));
        assert.equal(runs, 1, `round ${round}: ran ${runs} times`);
        // And a late look, after the run, finds nothing to do.
        await Promise.all(
          [...(await here.due(new Date())), ...(await there.due(new Date()))].map((d) => d.run()),
        );
        assert.equal(runs, 1);
        assert.equal(await holder(`${name}:all`), undefined);
      }
    });
  });

  describe('migration 2026-12-05T01-00-jobs', () => {
    it('moves sync state to registry_sync_state and back, losing nothing', async () => {
      const { storage: own } = await freshStorage(false);
      const migrator = migratorFor(own.db);
      const to = await migrator.migrateTo(BEFORE_JOBS);
      assert.equal(to.error, undefined);
      assert.equal(to.results?.at(-1)?.migrationName, BEFORE_JOBS);
      // The schema of the day before: untyped, since src/storage/schema.ts no longer has these columns.
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const old = own.db as unknown as Kysely<any>;
      const helm = {
        ...registryRow({ kind: 'helm' }, T0),
        sync_etag: '"etag-1"',
        sync_last_modified: 'Thu, 01 Jan 2026 00:00:00 GMT',
        sync_content_digest: 'a'.repeat(64),
        oci_skipped_tags: null,
        failure_count: 3,
        next_sync_at: at(MINUTE).toISOString(),
        lease_owner: 'old-process',
        lease_expires_at: at(2 * MINUTE).toISOString(),
      };
      const oci = {
        ...registryRow({ kind: 'oci' }, T0),
        sync_etag: null,
        sync_last_modified: null,
        sync_content_digest: null,
        oci_skipped_tags: '{"charts/x":["sig-1"]}',
        failure_count: 0,
        next_sync_at: at(3 * MINUTE).toISOString(),
        lease_owner: null,
        lease_expires_at: null,
      };
      const never = { ...registryRow({ kind: 'helm' }, T0) };
      const hosted = { ...registryRow({ kind: 'hosted' }, T0) };
      // One by one: a multi-row insert would send null (not the column default) for columns a row omits.
      for (const row of [helm, oci, never, hosted])
        await old.insertInto('helm_registries').values(row).execute();

      // Up to this migration only: later ones are not what this test is about (and its down below
      // must undo exactly this one).
      const up = await migrator.migrateTo(JOBS);
      assert.equal(up.error, undefined);
      const state = await own.db
        .selectFrom('registry_sync_state')
        .selectAll()
        .orderBy('registry_id')
        .execute();
      const expected = [
        {
          registry_id: helm.id,
          etag: '"etag-1"',
          last_modified: 'Thu, 01 Jan 2026 00:00:00 GMT',
          content_digest: 'a'.repeat(64),
          oci_skipped_tags: null,
          failure_count: 3,
          next_sync_at: at(MINUTE).toISOString(),
        },
        {
          registry_id: oci.id,
          etag: null,
          last_modified: null,
          content_digest: null,
          oci_skipped_tags: '{"charts/x":["sig-1"]}',
          failure_count: 0,
          next_sync_at: at(3 * MINUTE).toISOString(),
        },
        {
          registry_id: never.id,
          etag: null,
          last_modified: null,
          content_digest: null,
          oci_skipped_tags: null,
          failure_count: 0,
          next_sync_at: null,
        },
      ].sort((x, y) => x.registry_id.localeCompare(y.registry_id));
      assert.deepEqual(state, expected);
      const latest = await own.db
        .selectFrom('helm_registries')
        .selectAll()
        .where('id', '=', helm.id)
        .execute();
      for (const gone of [
        'sync_etag',
        'sync_last_modified',
        'sync_content_digest',
        'oci_skipped_tags',
        'failure_count',
        'next_sync_at',
        'lease_owner',
        'lease_expires_at',
      ]) {
        assert.ok(!(gone in latest[0]!), `helm_registries still has ${gone}`);
      }
      assert.equal(latest[0]!.name, helm.name);
      // The state reads back through the repository, and a registry's deletion takes its state along.
      assert.deepEqual(await new SyncStateRepository(own.db).get(helm.id), {
        etag: '"etag-1"',
        lastModified: 'Thu, 01 Jan 2026 00:00:00 GMT',
        contentDigest: 'a'.repeat(64),
        ociSkippedTags: null,
        indexCharts: null,
        failureCount: 3,
        nextSyncAt: at(MINUTE).toISOString(),
      });
      for (const table of ['job_workers', 'job_leases', 'job_schedule'] as const) {
        assert.deepEqual(await own.db.selectFrom(table).selectAll().execute(), []);
      }

      const down = await migrator.migrateDown();
      assert.equal(down.error, undefined);
      assert.deepEqual(
        down.results?.map((r) => [r.migrationName, r.status]),
        [[JOBS, 'Success']],
      );
      const restored = await old
        .selectFrom('helm_registries')
        .select([
          'id',
          'sync_etag',
          'sync_last_modified',
          'sync_content_digest',
          'oci_skipped_tags',
          'failure_count',
          'next_sync_at',
        ])
        .execute();
      const byId = new Map(restored.map((r) => [r.id as string, r]));
      const pick = (r: Record<string, unknown>) => ({
        id: r.id,
        sync_etag: r.sync_etag,
        sync_last_modified: r.sync_last_modified,
        sync_content_digest: r.sync_content_digest,
        oci_skipped_tags: r.oci_skipped_tags,
        failure_count: r.failure_count,
        next_sync_at: r.next_sync_at,
      });
      assert.deepEqual(byId.get(helm.id), pick(helm));
      assert.deepEqual(byId.get(oci.id), pick(oci));
      for (const id of [never.id, hosted.id]) {
        assert.deepEqual(byId.get(id), {
          id,
          sync_etag: null,
          sync_last_modified: null,
          sync_content_digest: null,
          oci_skipped_tags: null,
          failure_count: 0,
          next_sync_at: null,
        });
      }
      // And up again, as a redeploy of the new version would.
      await migrateToLatest(own);
      assert.equal((await new SyncStateRepository(own.db).get(oci.id)).ociSkippedTags, oci.oci_skipped_tags);
      await own.db.deleteFrom('helm_registries').where('id', '=', helm.id).execute();
      assert.equal(
        (await own.db.selectFrom('registry_sync_state').select('registry_id').execute()).length,
        2,
        'a deleted registry kept its sync state',
      );
    });
  });

  describe('SyncStateRepository', () => {
    async function createRegistry(
      db: Kysely<Database>,
      columns: Partial<HelmRegistriesTable> = {},
      nextSyncAt?: Date | null,
    ): Promise<string> {
      const id = newId();
      await db
        .insertInto('helm_registries')
        .values(registryRow({ id, ...columns }, T0))
        .execute();
      if (nextSyncAt !== undefined) {
        await db
          .insertInto('registry_sync_state')
          .values({ registry_id: id, failure_count: 0, next_sync_at: nextSyncAt?.toISOString() ?? null })
          .execute();
      }
      return id;
    }

    it('lists due registries: never synced first, then the most overdue; not protected, hosted or busy', async () => {
      const { storage: own } = await freshStorage();
      const repo = new SyncStateRepository(own.db);
      const now = at(10 * MINUTE);
      const dueNow = await createRegistry(own.db, { kind: 'oci' }, now);
      const overdue = await createRegistry(own.db, {}, at(MINUTE));
      const lessOverdue = await createRegistry(own.db, {}, at(5 * MINUTE));
      const neverSynced = await createRegistry(own.db);
      const unscheduled = await createRegistry(own.db, {}, null);
      await createRegistry(own.db, {}, at(11 * MINUTE));
      await createRegistry(own.db, { protected: 1 });
      await createRegistry(own.db, { protected: 1 }, at(MINUTE));
      await createRegistry(own.db, { kind: 'hosted' });
      await createRegistry(own.db, { kind: 'hosted' }, at(MINUTE));
      const busy = await createRegistry(own.db, {}, at(2 * MINUTE));
      const busyNever = await createRegistry(own.db);

      const none = new Set<string>();
      const firsts = [neverSynced, unscheduled, busyNever].sort();
      assert.deepEqual(
        (await repo.dueForSync(now, 20, none)).map((r) => r.id),
        [...firsts, overdue, busy, lessOverdue, dueNow],
      );
      const busySet = new Set([busy, busyNever]);
      const expected = [...[neverSynced, unscheduled].sort(), overdue, lessOverdue, dueNow];
      assert.deepEqual(
        (await repo.dueForSync(now, 20, busySet)).map((r) => r.id),
        expected,
      );
      // The limit counts what is returned, busy ones left out.
      assert.deepEqual(
        (await repo.dueForSync(now, 3, busySet)).map((r) => r.id),
        expected.slice(0, 3),
      );
      assert.deepEqual(
        (await repo.dueForSync(now, 1, new Set(firsts))).map((r) => r.id),
        [overdue],
      );
      assert.deepEqual(
        (await repo.syncable([overdue, busy, newId()])).map((r) => r.id).sort(),
        [overdue, busy].sort(),
      );
    });

    it('records outcomes: state upserted, summary updated, unknown fields kept; defaults before', async () => {
      const repo = new SyncStateRepository(storage.db);
      const reg = await createRegistry(storage.db);
      assert.deepEqual(await repo.get(reg), {
        etag: null,
        lastModified: null,
        contentDigest: null,
        ociSkippedTags: null,
        indexCharts: null,
        failureCount: 0,
        nextSyncAt: null,
      });
      assert.deepEqual(await repo.get(newId()), await repo.get(reg), 'unknown registry');

      await repo.markSyncing(reg);
      const summary = () =>
        storage.db
          .selectFrom('helm_registries')
          .select(['sync_status', 'last_synced_at', 'last_error', 'chart_count', 'version_count'])
          .where('id', '=', reg)
          .executeTakeFirstOrThrow();
      assert.equal((await summary()).sync_status, 'syncing');

      // Rolled back with the run: nothing of it is left.
      await assert.rejects(
        storage.db.transaction().execute(async (trx) => {
          await repo.recordOutcome(
            reg,
            { syncStatus: 'synced', lastError: null, failureCount: 0, nextSyncAt: at(MINUTE), etag: 'x' },
            trx,
          );
          throw new Error('rollback');
        }),
      );
      assert.equal((await repo.get(reg)).etag, null);
      assert.equal((await summary()).sync_status, 'syncing');

      await storage.db.transaction().execute((trx) =>
        repo.recordOutcome(
          reg,
          {
            syncStatus: 'synced',
            lastSyncedAt: at(SECOND),
            lastError: null,
            chartCount: 2,
            versionCount: 7,
            etag: '"abc"',
            lastModified: 'Thu, 01 Jan 2026 00:00:00 GMT',
            contentDigest: 'f'.repeat(64),
            ociSkippedTags: '{}',
            indexCharts: '{"salt":"s","charts":{}}',
            failureCount: 0,
            nextSyncAt: at(60 * MINUTE),
          },
          trx,
        ),
      );
      const synced = {
        etag: '"abc"',
        lastModified: 'Thu, 01 Jan 2026 00:00:00 GMT',
        contentDigest: 'f'.repeat(64),
        ociSkippedTags: '{}',
        indexCharts: '{"salt":"s","charts":{}}',
        failureCount: 0,
        nextSyncAt: at(60 * MINUTE).toISOString(),
      };
      assert.deepEqual(await repo.get(reg), synced);
      const syncedSummary = {
        sync_status: 'synced',
        last_synced_at: at(SECOND).toISOString(),
        last_error: null,
        chart_count: 2,
        version_count: 7,
      };
      assert.deepEqual(await summary(), syncedSummary);

      await repo.recordOutcome(reg, {
        syncStatus: 'failed',
        lastError: 'The registry answered 503.',
        failureCount: 1,
        nextSyncAt: at(62 * MINUTE),
      });
      assert.deepEqual(await repo.get(reg), {
        ...synced,
        failureCount: 1,
        nextSyncAt: at(62 * MINUTE).toISOString(),
      });
      assert.deepEqual(await summary(), {
        ...syncedSummary,
        sync_status: 'failed',
        last_error: 'The registry answered 503.',
      });
      // Explicit nulls clear the validators (a changed endpoint).
      await repo.recordOutcome(reg, {
        syncStatus: 'synced',
        lastError: null,
        etag: null,
        lastModified: null,
        contentDigest: null,
        failureCount: 0,
        nextSyncAt: at(120 * MINUTE),
      });
      assert.deepEqual(await repo.get(reg), {
        ...synced,
        etag: null,
        lastModified: null,
        contentDigest: null,
        nextSyncAt: at(120 * MINUTE).toISOString(),
      });
      assert.equal(
        (
          await storage.db
            .selectFrom('registry_sync_state')
            .select('registry_id')
            .where('registry_id', '=', reg)
            .execute()
        ).length,
        1,
      );
    });
  });
});
