import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { MISSED_BEATS } from '../../src/jobs/job-leases.js';
import { migrateToLatest, openStorage, type Storage } from '../../src/storage/database.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import type { LeaseReply, LeaseRequest } from '../support/lease-process.js';
import { TEST_DB } from '../support/server.js';
import { waitFor } from '../support/wait.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const MINUTE = 60_000;
/** A holder silent 3 × 200 ms has lost its leases: the file stays fast, and 2 minutes is 200 windows. */
const HEARTBEAT_MS = 200;
const STALE_MS = MISSED_BEATS * HEARTBEAT_MS;

/** A server process's job leases in a child process whose wall clock is `skewMs` off the host's. */
class LeaseProcess {
  private nextId = 1;
  private readonly waiting = new Map<number, (r: LeaseReply) => void>();
  private constructor(readonly child: ChildProcess) {
    child.on('message', (r: LeaseReply) => {
      this.waiting.get(r.id)?.(r);
      this.waiting.delete(r.id);
    });
  }

  static async start(env: NodeJS.ProcessEnv, skewMs: number): Promise<LeaseProcess> {
    const child = fork(path.join(HERE, '../support/lease-process.ts'), [], {
      execArgv: ['--import', 'tsx', '--import', path.join(HERE, '../support/clock-skew.ts')],
      env: { ...process.env, ...env, CHARTHOUSE_TEST_CLOCK_SKEW_MS: String(skewMs) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const [ready] = (await once(child, 'message')) as [LeaseReply];
    assert.equal(ready.id, 0);
    return new LeaseProcess(child);
  }

  private ask(op: LeaseRequest['op'], key: string): Promise<LeaseReply> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.child.send({ id, op, key } satisfies LeaseRequest);
    });
  }

  async acquire(key: string): Promise<boolean> {
    const r = await this.ask('acquire', key);
    assert.equal(r.error, undefined);
    return r.taken!;
  }

  async release(key: string): Promise<boolean> {
    const r = await this.ask('release', key);
    assert.equal(r.error, undefined);
    return r.released!;
  }

  /** kill -9: no more heartbeats, nothing released. */
  async kill(): Promise<void> {
    const exited = once(this.child, 'exit');
    this.child.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = once(this.child, 'exit');
    this.child.disconnect();
    await exited;
  }
}

describe(`job leases across hosts whose clocks disagree (${TEST_DB})`, () => {
  let dataDir: string;
  let pg: TestDatabase | undefined;
  let storage: Storage;
  let env: NodeJS.ProcessEnv;
  const processes: LeaseProcess[] = [];
  const start = async (skewMs: number) => {
    const p = await LeaseProcess.start(env, skewMs);
    processes.push(p);
    return p;
  };
  const holderOf = async (key: string) =>
    (await storage.db.selectFrom('job_leases').select('owner').where('key', '=', key).executeTakeFirst())
      ?.owner;

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'charthouse-skew-'));
    if (TEST_DB === 'postgres') pg = await createTestDatabase();
    storage = openStorage({ databaseUrl: pg?.url ?? null, dataDir });
    await migrateToLatest(storage);
    env = {
      LEASE_DATABASE_URL: pg?.url ?? '',
      LEASE_DATA_DIR: dataDir,
      LEASE_HEARTBEAT_MS: String(HEARTBEAT_MS),
    };
  });
  after(async () => {
    for (const p of processes) await p.stop();
    await storage.close();
    await pg?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps a lease exclusive to a live holder 2 minutes behind or ahead, and frees a dead one’s in the stale window', async () => {
    const behind = await start(-2 * MINUTE);
    const ahead = await start(2 * MINUTE);
    assert.ok(await behind.acquire('skew:behind'), 'a free key was refused');
    assert.ok(await ahead.acquire('skew:ahead'), 'a free key was refused');
    const owners = { behind: await holderOf('skew:behind'), ahead: await holderOf('skew:ahead') };

    // Both alive for several stale windows: neither takes the other's lease, whichever clock is late.
    // (With the processes' own clocks, the one ahead would take the other's at once: its beats look
    // 2 minutes old.)
    for (let round = 0; round < 10; round++) {
      assert.equal(
        await ahead.acquire('skew:behind'),
        false,
        'took a live holder’s lease: its clock is behind',
      );
      assert.equal(
        await behind.acquire('skew:ahead'),
        false,
        'took a live holder’s lease: its clock is ahead',
      );
      await new Promise((r) => setTimeout(r, STALE_MS / 3));
    }
    assert.deepEqual({ behind: await holderOf('skew:behind'), ahead: await holderOf('skew:ahead') }, owners);

    // The one ahead dies: the one behind takes its lease once it has missed its beats, not 2 minutes
    // later (its last beats, stamped by its own clock, would look fresh until then).
    await ahead.kill();
    await waitFor(() => behind.acquire('skew:ahead'), {
      what: 'the lease of a dead holder whose clock ran ahead was taken over',
      timeoutMs: 30_000,
    });
    // And the live one behind still holds its own, and can give it back with its result.
    assert.equal(await holderOf('skew:behind'), owners.behind);
    assert.equal(await behind.release('skew:behind'), true);

    // The reverse: the one behind dies, a fresh one ahead takes its leases after the stale window.
    const ahead2 = await start(2 * MINUTE);
    assert.equal(await ahead2.acquire('skew:ahead'), false, 'took the live lease of the process behind');
    await behind.kill();
    await waitFor(() => ahead2.acquire('skew:ahead'), {
      what: 'the lease of a dead holder whose clock ran behind was taken over',
      timeoutMs: 30_000,
    });
  });
});
