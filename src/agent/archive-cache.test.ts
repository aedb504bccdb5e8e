import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmod, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ArchiveCache } from './archive-cache.js';

describe('ArchiveCache', () => {
  let workDir: string;
  before(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'charthouse-agent-cache-'));
  });
  after(async () => {
    await rm(workDir, { recursive: true, force: true });
  });

  it('stores an archive by its sha256, 0600 in a 0700 folder, with its .prov beside it', async () => {
    const cache = await ArchiveCache.open(workDir);
    const bytes = Buffer.from('an archive');
    const hex = createHash('sha256').update(bytes).digest('hex');
    assert.equal(await cache.has(`sha256:${hex}`), false);
    const digest = await cache.put(bytes, Buffer.from('a prov'));
    assert.equal(digest, `sha256:${hex}`);
    assert.equal(cache.path(digest), join(workDir, 'charts', `sha256-${hex}.tgz`));
    assert.equal(cache.path(hex), cache.path(digest));
    assert.equal(await cache.has(digest), true);
    assert.deepEqual(await readFile(cache.path(digest)), bytes);
    assert.deepEqual(await cache.readProvenance(digest), Buffer.from('a prov'));
    assert.equal((await stat(cache.path(digest))).mode & 0o777, 0o600);
    assert.equal((await stat(cache.provenancePath(digest))).mode & 0o777, 0o600);
    assert.equal((await stat(join(workDir, 'charts'))).mode & 0o777, 0o700);
    // No temporary file is left behind.
    assert.deepEqual((await readdir(join(workDir, 'charts'))).sort(), [
      `sha256-${hex}.tgz`,
      `sha256-${hex}.tgz.prov`,
    ]);
  });

  it('drops a stale .prov when the archive is stored again without one', async () => {
    const cache = await ArchiveCache.open(workDir);
    const digest = await cache.put(Buffer.from('signed once'), Buffer.from('prov'));
    await cache.put(Buffer.from('signed once'));
    assert.equal(await cache.readProvenance(digest), null);
    assert.equal(await cache.has(digest), true);
  });

  it('narrows an existing folder to 0700 and never names a file after a non-digest', async () => {
    await chmod(join(workDir, 'charts'), 0o755);
    const cache = await ArchiveCache.open(workDir);
    assert.equal((await stat(join(workDir, 'charts'))).mode & 0o777, 0o700);
    assert.equal(await cache.has('../../etc/passwd'), false);
    assert.throws(() => cache.path('sha256:../../x'), /Not a sha256 digest/);
    assert.equal(await cache.read(`sha256:${'0'.repeat(64)}`), null);
  });
});
