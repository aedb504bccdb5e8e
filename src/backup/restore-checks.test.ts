import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { keyFromString } from '../shared/secret-box.js';
import { BackupInvalidError, ServerRunningError, TargetNotEmptyError } from './backup-errors.js';
import { MANIFEST_FILE, readManifest, verifyFiles, type BackupManifest } from './backup-manifest.js';
import {
  checkMigrationKnown,
  checkRestoredFacts,
  planKeyRestore,
  refuseLiveServers,
} from './restore-checks.js';
import { keyFingerprint } from './secret-key.js';

const KEY_A = 'a'.repeat(43) + '=';
const KEY_B = 'b'.repeat(43) + '=';

function manifest(over: Partial<BackupManifest> = {}): BackupManifest {
  return {
    format: 1,
    charthouseVersion: '0.1.0',
    createdAt: '2026-12-06T00:00:00.000Z',
    database: 'sqlite',
    migration: '2026-11-21T00-00-initial',
    counts: { users: 2, hosted_charts: 5 },
    files: [],
    blobs: [],
    secretKey: { source: 'file', fingerprint: keyFingerprint(keyFromString(KEY_A)) },
    ...over,
  };
}

describe('restore checks', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'charthouse-restore-checks-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('refuses a backup whose last migration this build does not know', () => {
    assert.doesNotThrow(() => checkMigrationKnown(manifest()));
    assert.throws(
      () => checkMigrationKnown(manifest({ migration: '2099-01-01T00-00-future' })),
      /newer Charthouse/,
    );
  });

  it('needs the key the backup was sealed with', async () => {
    const keyFile = path.join(dir, 'secret.key');
    // No key at the target: the backup's file is written.
    assert.deepEqual(await planKeyRestore(manifest(), { secretKey: null, secretKeyFile: keyFile }, false), {
      writeFile: true,
    });
    // Another key file there: only with --force.
    await writeFile(keyFile, `${KEY_B}\n`);
    await assert.rejects(
      planKeyRestore(manifest(), { secretKey: null, secretKeyFile: keyFile }, false),
      TargetNotEmptyError,
    );
    assert.equal(
      (await planKeyRestore(manifest(), { secretKey: null, secretKeyFile: keyFile }, true)).writeFile,
      true,
    );
    // A key in the environment must be the backup's, whichever way it came.
    await assert.rejects(
      planKeyRestore(manifest(), { secretKey: KEY_B, secretKeyFile: keyFile }, true),
      BackupInvalidError,
    );
    const fromEnv = manifest({
      secretKey: { source: 'environment', fingerprint: keyFingerprint(keyFromString(KEY_A)) },
    });
    await assert.rejects(
      planKeyRestore(fromEnv, { secretKey: null, secretKeyFile: keyFile }, true),
      /CHARTHOUSE_SECRET_KEY/,
    );
    assert.equal(
      (await planKeyRestore(fromEnv, { secretKey: KEY_A, secretKeyFile: keyFile }, false)).writeFile,
      false,
    );
  });

  it('compares the restored database with the counts of the manifest', () => {
    const m = manifest();
    assert.doesNotThrow(() => checkRestoredFacts(m, { migration: m.migration, counts: { ...m.counts } }));
    assert.throws(
      () => checkRestoredFacts(m, { migration: m.migration, counts: { users: 2, hosted_charts: 4 } }),
      /hosted_charts: 4 rows instead of 5/,
    );
  });

  it('refuses while a server heartbeats', () => {
    assert.doesNotThrow(() => refuseLiveServers([], 30_000));
    assert.throws(
      () => refuseLiveServers([{ host: 'h', pid: 7, heartbeatAt: '2026-12-06T00:00:00.000Z' }], 30_000),
      ServerRunningError,
    );
  });

  it('reads only files inside the backup, and finds a changed one', async () => {
    const folder = await mkdtemp(path.join(dir, 'backup-'));
    await writeFile(
      path.join(folder, MANIFEST_FILE),
      JSON.stringify(manifest({ files: [{ path: '../x', size: 1, sha256: 'a' }] })),
    );
    await assert.rejects(readManifest(folder), /outside the backup/);
    await writeFile(path.join(folder, 'charthouse.db'), 'hello');
    const files = [
      {
        path: 'charthouse.db',
        size: 5,
        sha256: '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824',
      },
    ];
    await verifyFiles(folder, files);
    await writeFile(path.join(folder, 'charthouse.db'), 'hellO');
    await assert.rejects(verifyFiles(folder, files), /the backup is damaged/);
    await rm(path.join(folder, MANIFEST_FILE));
    await assert.rejects(readManifest(folder), /did not finish/);
  });
});
