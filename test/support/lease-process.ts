/**
 * A server process's job leases, alone in a child process (spawned by test/storage/job-lease-clock-skew.test.ts):
 * opens the database named by its environment, heartbeats, and takes or gives back leases when its
 * parent asks over IPC. With test/support/clock-skew.ts preloaded it runs with its own wrong clock.
 */
import { pino } from 'pino';
import { JobLeaseRepository } from '../../src/jobs/job-lease.repository.js';
import { JobLeases, type Lease } from '../../src/jobs/job-leases.js';
import { JobWorkerRepository } from '../../src/jobs/job-worker.repository.js';
import { openStorage } from '../../src/storage/database.js';

export type LeaseRequest = { id: number; op: 'acquire' | 'release'; key: string };
export type LeaseReply = { id: number; taken?: boolean; released?: boolean; error?: string };

const storage = openStorage({
  databaseUrl: process.env.LEASE_DATABASE_URL || null,
  dataDir: process.env.LEASE_DATA_DIR!,
});
const leases = new JobLeases({
  workers: new JobWorkerRepository(storage.db, storage.dialect),
  leases: new JobLeaseRepository(storage.db, storage.dialect),
  heartbeatMs: Number(process.env.LEASE_HEARTBEAT_MS),
  logger: pino({ level: 'silent' }),
  node: `lease-process-${process.pid}`,
});
const held = new Map<string, Lease>();

process.on('message', (m: LeaseRequest) => {
  const answer = async (): Promise<LeaseReply> => {
    if (m.op === 'acquire') {
      const lease = await leases.acquire(m.key, m.key.split(':')[0]!);
      if (lease) held.set(m.key, lease);
      return { id: m.id, taken: lease !== null };
    }
    const lease = held.get(m.key);
    return { id: m.id, released: lease ? await leases.release(lease) : false };
  };
  answer().then(
    (reply) => process.send!(reply),
    (err: unknown) => process.send!({ id: m.id, error: String(err) }),
  );
});
process.on('disconnect', () => {
  void leases.close().finally(() => storage.close());
});

await leases.start();
process.send!({ id: 0 });
