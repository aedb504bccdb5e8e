import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { summarizeHelmIndex } from '../protocol/helm/index-summary.js';
import { UpstreamError } from '../shared/errors.js';
import { IndexWorkerPool } from './index-sync.js';

const INDEX = `apiVersion: v1
entries:
  web:
  - name: web
    version: 1.0.0
    urls: [web-1.0.0.tgz]
  - name: web
    version: 1.1.0
    urls:
    - web-1.1.0.tgz
`;
const base = new URL('https://charts.example.test/stable/');

describe('IndexWorkerPool', () => {
  const pool = new IndexWorkerPool();
  after(() => pool.close());

  it('parses and normalizes in a worker', async () => {
    const { rows, warnings } = await pool.parse(Buffer.from(INDEX), base);
    assert.deepEqual(
      rows.map((r) => [r.chart_name, r.version, r.chart_url]),
      [
        ['web', '1.0.0', 'https://charts.example.test/stable/web-1.0.0.tgz'],
        ['web', '1.1.0', 'https://charts.example.test/stable/web-1.1.0.tgz'],
      ],
    );
    assert.deepEqual(warnings, []);
  });

  it('reports a bad document as the upstream failure it is, and the next job still runs', async () => {
    await assert.rejects(
      pool.parse(Buffer.from('<html>nope</html>'), base),
      (err: unknown) => err instanceof UpstreamError && err.failure === 'not_a_helm_repository',
    );
    const { rows } = await pool.parse(Buffer.from(INDEX), base);
    assert.equal(rows.length, 2);
  });

  it('summarizes an index in a worker as on this thread, and refuses what is not one with the same message', async () => {
    const skipped = `${INDEX}  broken: 7\n`;
    assert.deepEqual(await pool.summarize(Buffer.from(skipped)), summarizeHelmIndex(Buffer.from(skipped)));
    assert.equal((await pool.summarize(Buffer.from(INDEX))).versionCount, 2);
    let expected = '';
    assert.throws(
      () => summarizeHelmIndex(Buffer.from('<html>nope</html>')),
      (err: Error) => {
        expected = err.message;
        return true;
      },
    );
    await assert.rejects(
      pool.summarize(Buffer.from('<html>nope</html>')),
      (err: unknown) =>
        err instanceof UpstreamError && err.failure === 'not_a_helm_repository' && err.message === expected,
    );
  });

  it('queues jobs beyond its size instead of refusing them', async () => {
    const results = await Promise.all(Array.from({ length: 4 }, () => pool.parse(Buffer.from(INDEX), base)));
    assert.deepEqual(
      results.map((r) => r.rows.length),
      [2, 2, 2, 2],
    );
  });

  it('moves the body to the worker: a view into a larger buffer is copied, the caller keeps it', async () => {
    const backing = Buffer.from(`pad-${INDEX}`);
    const view = backing.subarray(4);
    const { rows } = await pool.parse(view, base);
    assert.equal(rows.length, 2);
    assert.equal(view.toString('utf8'), INDEX);
  });

  it('refuses work once closed', async () => {
    const closing = new IndexWorkerPool();
    await closing.parse(Buffer.from(INDEX), base);
    await closing.close();
    await assert.rejects(closing.parse(Buffer.from(INDEX), base), /closed/);
  });
});
