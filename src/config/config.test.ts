import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('gives the documented defaults for an empty environment', () => {
    const c = loadConfig({});
    assert.equal(c.port, 8080);
    assert.equal(c.host, '0.0.0.0');
    assert.equal(c.dataDir, path.resolve('./data'));
    assert.equal(c.databaseUrl, null);
    assert.equal(c.publicUrl, null);
    assert.equal(c.allowPrivateEndpoints, false);
    assert.equal(c.logLevel, 'info');
    assert.equal(c.secretKeyFile, path.resolve('./data/secret.key'));
    assert.equal(c.maxIndexBytes, 50 * 1024 * 1024);
    assert.equal(c.databaseTimeoutMs, 5000);
    assert.ok(Object.isFrozen(c));
  });

  it('bounds the database timeout: a request must neither fail at once nor wait for ever', () => {
    assert.equal(loadConfig({ CHARTHOUSE_DATABASE_TIMEOUT_MS: '1500' }).databaseTimeoutMs, 1500);
    for (const bad of ['50', '600001', 'soon']) {
      assert.throws(
        () => loadConfig({ CHARTHOUSE_DATABASE_TIMEOUT_MS: bad }),
        (err) => err instanceof ConfigError && err.problems[0]!.startsWith('CHARTHOUSE_DATABASE_TIMEOUT_MS'),
      );
    }
  });

  it('lists every bad key at once, without echoing secrets', () => {
    try {
      loadConfig({
        CHARTHOUSE_PORT: 'eighty',
        CHARTHOUSE_ALLOW_PRIVATE_ENDPOINTS: 'maybe',
        CHARTHOUSE_LOG_LEVEL: 'loud',
        CHARTHOUSE_DATABASE_URL: 'mysql://root:hunter2@db/x',
        CHARTHOUSE_ADMIN_PASSWORD: 'short',
        CHARTHOUSE_SECRET_KEY: 'tiny',
        CHARTHOUSE_PROT: '1',
      });
      assert.fail('expected a ConfigError');
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      const keys = err.problems.map((p) => p.split(':')[0]);
      assert.deepEqual(keys.sort(), [
        'CHARTHOUSE_ADMIN_PASSWORD',
        'CHARTHOUSE_ALLOW_PRIVATE_ENDPOINTS',
        'CHARTHOUSE_DATABASE_URL',
        'CHARTHOUSE_LOG_LEVEL',
        'CHARTHOUSE_PORT',
        'CHARTHOUSE_PROT',
        'CHARTHOUSE_SECRET_KEY',
      ]);
      assert.ok(!err.message.includes('hunter2'));
      assert.ok(!err.message.includes('short'));
    }
  });

  it('reads a YAML config file, lets the environment win, and rejects unknown file keys', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'charthouse-config-'));
    const file = path.join(dir, 'charthouse.yaml');
    writeFileSync(
      file,
      'port: 9000\nlogLevel: debug\nallowPrivateEndpoints: true\npublicUrl: https://charts.example.com/\n',
    );
    const c = loadConfig({ CHARTHOUSE_CONFIG_FILE: file, CHARTHOUSE_LOG_LEVEL: 'warn' });
    assert.equal(c.port, 9000);
    assert.equal(c.logLevel, 'warn');
    assert.equal(c.allowPrivateEndpoints, true);
    assert.equal(c.publicUrl, 'https://charts.example.com');
    writeFileSync(file, 'port: 9000\nprot: 1\n');
    assert.throws(() => loadConfig({ CHARTHOUSE_CONFIG_FILE: file }), /unknown setting "prot"/);
  });

  it('names the node from CHARTHOUSE_NODE_ID or the file, else <hostname>:<pid>:<random> per start', () => {
    assert.equal(loadConfig({ CHARTHOUSE_NODE_ID: 'charthouse-0' }).nodeId, 'charthouse-0');
    const dir = mkdtempSync(path.join(tmpdir(), 'charthouse-config-'));
    const file = path.join(dir, 'charthouse.yaml');
    writeFileSync(file, 'nodeId: eu-west.node-1\n');
    assert.equal(loadConfig({ CHARTHOUSE_CONFIG_FILE: file }).nodeId, 'eu-west.node-1');
    const derived = loadConfig({}).nodeId;
    const prefix = `${hostname()}:${process.pid}:`;
    assert.ok(derived.startsWith(prefix), derived);
    assert.match(derived.slice(prefix.length), /^[0-9a-f]{8}$/);
    assert.notEqual(loadConfig({}).nodeId, derived, 'two starts of one host and pid get two ids');
    for (const bad of ['has space', 'slash/ed', 'x'.repeat(101)]) {
      assert.throws(
        () => loadConfig({ CHARTHOUSE_NODE_ID: bad }),
        (err) => err instanceof ConfigError && err.problems[0]!.startsWith('CHARTHOUSE_NODE_ID'),
      );
    }
  });

  it('reads secrets from *_FILE variables', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'charthouse-config-'));
    const file = path.join(dir, 'pw');
    writeFileSync(file, 'from-a-file-123\n');
    assert.equal(loadConfig({ CHARTHOUSE_ADMIN_PASSWORD_FILE: file }).adminPassword, 'from-a-file-123');
  });
});
