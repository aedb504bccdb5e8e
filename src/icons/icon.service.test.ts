import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import type { CatalogService } from '../catalog/catalog.service.js';
import type { RequestContext } from '../shared/context.js';
import { DatabaseUnavailableError, UpstreamError } from '../shared/errors.js';
import type { IconFetcher } from './icon-fetcher.js';
import type { ChartIconRow, IconRepository } from './icon.repository.js';
import { IconService } from './icon.service.js';

const PNG = Buffer.from('89504e470d0a1a0a', 'hex');
const ctx = {} as RequestContext;

/** The service over an in-memory table, a fake catalog naming `icon`, and a fetcher the test scripts. */
function setup(fetch: (url: string) => Promise<{ bytes: Buffer; mediaType: 'image/png' }>) {
  const rows = new Map<string, ChartIconRow>();
  let now = Date.parse('2026-12-06T00:00:00Z');
  const calls: string[] = [];
  const repository = {
    find: async (key: string) => rows.get(key),
    findContent: async (digest: string) => [...rows.values()].find((r) => r.content_digest === digest),
    save: async (row: ChartIconRow) => void rows.set(row.url_digest, row),
    extend: async (key: string, expiresAt: string) => {
      const row = rows.get(key);
      if (row) rows.set(key, { ...row, expires_at: expiresAt });
    },
  } as unknown as IconRepository;
  const catalog = { iconUrl: async () => 'https://icons.test/a.png' } as unknown as CatalogService;
  const fetcher = {
    fetch: (url: string) => {
      calls.push(url);
      return fetch(url);
    },
  } as unknown as IconFetcher;
  const service = new IconService({
    catalog,
    repository,
    fetcher,
    logger: pino({ level: 'silent' }),
    freshMs: 1000,
    failureMs: 100,
    now: () => now,
  });
  return { service, calls, rows, advance: (ms: number) => (now += ms) };
}

describe('IconService', () => {
  it('fetches once for concurrent requests, then serves from the table until the icon is stale', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const t = setup(async () => {
      await gate;
      return { bytes: PNG, mediaType: 'image/png' };
    });
    const both = Promise.all([t.service.chartIcon(ctx, 'r', 'c'), t.service.chartIcon(ctx, 'r', 'c')]);
    release();
    const [a, b] = await both;
    assert.deepEqual(a, b);
    assert.equal(a.mediaType, 'image/png');
    assert.equal(t.calls.length, 1);
    await t.service.chartIcon(ctx, 'r', 'c');
    assert.equal(t.calls.length, 1);
    assert.deepEqual(await t.service.byContent(a.digest), a);
    t.advance(1001);
    await t.service.chartIcon(ctx, 'r', 'c');
    assert.equal(t.calls.length, 2);
  });

  it('remembers a failure for a while, then tries again', async () => {
    const t = setup(async () => {
      throw new UpstreamError('timeout', 'https://icons.test/a.png did not finish answering within 10 s.');
    });
    const failed = { status: 422, code: 'upstream_timeout', message: /icon is not shown: .*did not finish/ };
    await assert.rejects(t.service.chartIcon(ctx, 'r', 'c'), failed);
    await assert.rejects(t.service.chartIcon(ctx, 'r', 'c'), failed);
    assert.equal(t.calls.length, 1);
    t.advance(101);
    await assert.rejects(t.service.chartIcon(ctx, 'r', 'c'), failed);
    assert.equal(t.calls.length, 2);
  });

  it('keeps serving a stale icon when its refresh fails, and does not remember a database outage', async () => {
    let mode: 'ok' | 'fail' | 'db' = 'ok';
    const t = setup(async () => {
      if (mode === 'fail') throw new UpstreamError('refused', 'refused');
      if (mode === 'db') throw new DatabaseUnavailableError();
      return { bytes: PNG, mediaType: 'image/png' };
    });
    const first = await t.service.chartIcon(ctx, 'r', 'c');
    t.advance(1001);
    mode = 'fail';
    assert.deepEqual(await t.service.chartIcon(ctx, 'r', 'c'), first);
    assert.deepEqual(await t.service.chartIcon(ctx, 'r', 'c'), first);
    assert.equal(t.calls.length, 2, 'the failed refresh is remembered too');
    t.advance(1001);
    mode = 'db';
    await assert.rejects(t.service.chartIcon(ctx, 'r', 'c'), { status: 503 });
    mode = 'ok';
    await t.service.chartIcon(ctx, 'r', 'c');
    assert.equal(t.calls.length, 4);
  });

  it('answers 404 for a content digest it does not hold, or one that is not a digest', async () => {
    const t = setup(async () => ({ bytes: PNG, mediaType: 'image/png' }));
    await assert.rejects(t.service.byContent('0'.repeat(64)), { status: 404 });
    await assert.rejects(t.service.byContent('../etc'), { status: 404 });
  });
});
