/**
 * Catalog write benchmark: the storage half of a sync, on SQLite and PostgreSQL.
 *
 *   node --import tsx bench/catalog-write.bench.ts
 *
 * PostgreSQL is measured when CHARTHOUSE_TEST_DATABASE_URL (by default the local server's `postgres`
 * database) names a server whose user may create databases (as for the tests). Each figure is the median of 3 runs, each on a fresh database:
 * - first sync: 20,000 versions (250 charts x 80, ~1.2 kB of metadata each, like a big public index)
 *   inserted in one transaction;
 * - unchanged re-sync: read the fingerprints and diff all 20,000 versions against them (no writes);
 * - one new version: the same diff finding one new entry, and its one-row commit;
 * - 20,000 updates: every version changed (the upsert path).
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  ChartVersionRepository,
  fingerprintKey,
  type CatalogDiff,
  type ChartVersionFingerprint,
  type NewChartVersion,
} from '../src/catalog/chart-version.repository.js';
import { newId } from '../src/shared/ids.js';
import { migrateToLatest, openStorage, type Dialect, type Storage } from '../src/storage/database.js';
import { createTestDatabase } from '../test/support/postgres.js';
import { registryRow } from '../test/support/registry-rows.js';
import { postgresAvailable } from './built-server.js';

const CHARTS = 250;
const VERSIONS_PER_CHART = 80;
const RUNS = 3;

function makeIndex(generation: number): NewChartVersion[] {
  const rows: NewChartVersion[] = [];
  for (let c = 0; c < CHARTS; c++) {
    const name = `chart-${c}`;
    for (let v = 0; v < VERSIONS_PER_CHART; v++) {
      const version = `${Math.floor(v / 40)}.${Math.floor((v % 40) / 8)}.${v % 8}`;
      const app = `1.${v}.${generation}`;
      const row: NewChartVersion = {
        chart_name: name,
        version,
        sort_key: version
          .split('.')
          .map((n) => n.padStart(6, '0'))
          .join('.'),
        app_version: app,
        api_version: 'v2',
        type: 'application',
        description: `${name} is a scalable database packaged for Kubernetes.`,
        icon: `https://example.test/icons/${name}.svg`,
        home: `https://example.test/charts/${name}`,
        sources: JSON.stringify([
          `https://example.test/src/charts/tree/main/${name}`,
          `https://example.test/src/${name}`,
        ]),
        keywords: JSON.stringify([name, 'database', 'storage']),
        maintainers: JSON.stringify([
          { name: 'Example Maintainers', url: 'https://example.test/maintainers' },
        ]),
        kube_version: '>=1.23.0-0',
        deprecated: 0,
        created: '2024-05-01T10:11:12.123456789Z',
        digest: createHash('sha256').update(`${name}-${version}`).digest('hex'),
        urls: JSON.stringify([`https://charts.example.test/stable/${name}-${version}.tgz`]),
        chart_url: `https://charts.example.test/stable/${name}-${version}.tgz`,
        dependencies: JSON.stringify([
          {
            name: 'common',
            repository: 'oci://registry.example.test/charts',
            tags: ['common'],
            version: '2.x.x',
          },
        ]),
        annotations: JSON.stringify({
          category: 'Database',
          images: `- name: ${name}\n  image: docker.io/example/${name}:${app}-debian-12-r3\n- name: metrics\n  image: docker.io/example/exporter:0.15.${v}-debian-12-r1\n`,
          licenses: 'Apache-2.0',
        }),
        content_hash: '',
      };
      row.content_hash = createHash('sha256').update(JSON.stringify(row)).digest('hex');
      rows.push(row);
    }
  }
  return rows;
}

/** The diff the sync engine computes: what is new, what changed, what is gone. */
function diffAgainst(index: NewChartVersion[], fp: Map<string, ChartVersionFingerprint>): CatalogDiff {
  const diff: CatalogDiff = { insert: [], update: [], remove: [] };
  const seen = new Set<string>();
  for (const e of index) {
    const key = fingerprintKey(e.chart_name, e.version);
    seen.add(key);
    const current = fp.get(key);
    if (!current) diff.insert.push(e);
    else if (current.contentHash !== e.content_hash) {
      diff.update.push({ ...e, id: current.id, republished: current.digest !== e.digest });
    }
  }
  for (const [key, current] of fp) if (!seen.has(key)) diff.remove.push(current.id);
  return diff;
}

async function time<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const started = performance.now();
  const result = await fn();
  return [performance.now() - started, result];
}

const median = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function createRegistry(storage: Storage): Promise<string> {
  const id = newId();
  const now = new Date().toISOString();
  await storage.db
    .insertInto('helm_registries')
    .values(
      registryRow({ id, name: `bench-${id}`, endpoint: 'https://charts.example.test/stable' }, new Date(now)),
    )
    .execute();
  return id;
}

type Figures = Record<'first sync' | 'unchanged re-sync' | 'one new version' | '20,000 updates', number[]>;

async function benchDialect(dialect: Dialect): Promise<Figures> {
  const index = makeIndex(1);
  const plusOne = [...index, { ...index[0]!, version: '9.9.9', sort_key: '000009.000009.000009' }];
  const changed = makeIndex(2);
  const figures: Figures = {
    'first sync': [],
    'unchanged re-sync': [],
    'one new version': [],
    '20,000 updates': [],
  };
  for (let run = 0; run < RUNS; run++) {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'charthouse-bench-'));
    const pg = dialect === 'postgres' ? await createTestDatabase() : undefined;
    const storage = openStorage({ databaseUrl: pg?.url ?? null, dataDir });
    try {
      await migrateToLatest(storage);
      const repo = new ChartVersionRepository(storage.db, storage.dialect);
      const reg = await createRegistry(storage);
      const commit = (diff: CatalogDiff) =>
        storage.db.transaction().execute((trx) => repo.applyDiff(trx, reg, diff, new Date()));

      const [first, applied] = await time(() => commit({ insert: index, update: [], remove: [] }));
      if (applied.inserted !== index.length) throw new Error(`inserted ${applied.inserted}`);
      figures['first sync'].push(first);

      const [noop, diff] = await time(async () => diffAgainst(index, await repo.fingerprints(reg)));
      if (diff.insert.length + diff.update.length + diff.remove.length !== 0) throw new Error('not a no-op');
      figures['unchanged re-sync'].push(noop);

      const [one, written] = await time(async () =>
        commit(diffAgainst(plusOne, await repo.fingerprints(reg))),
      );
      if (written.inserted + written.updated + written.removed !== 1) throw new Error('not one row');
      figures['one new version'].push(one);

      const [updates, rewritten] = await time(async () =>
        commit(diffAgainst([...changed, plusOne.at(-1)!], await repo.fingerprints(reg))),
      );
      if (rewritten.updated !== changed.length) throw new Error(`updated ${rewritten.updated}`);
      figures['20,000 updates'].push(updates);
    } finally {
      await storage.close();
      await pg?.drop();
      await rm(dataDir, { recursive: true, force: true });
    }
  }
  return figures;
}

const dialects: Dialect[] = ['sqlite'];
if (await postgresAvailable()) dialects.push('postgres');
else console.log('PostgreSQL is not reachable (CHARTHOUSE_TEST_DATABASE_URL): skipped.');

for (const dialect of dialects) {
  const figures = await benchDialect(dialect);
  console.log(`\n${dialect} (${CHARTS * VERSIONS_PER_CHART} versions, median of ${RUNS}):`);
  for (const [name, values] of Object.entries(figures)) {
    const runs = values.map((v) => v.toFixed(0)).join(', ');
    console.log(`  ${name.padEnd(18)} ${median(values).toFixed(0).padStart(6)} ms   (runs: ${runs})`);
  }
}
