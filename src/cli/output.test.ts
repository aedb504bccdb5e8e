import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError, type RegistryView } from '../client/api-client.js';
import {
  CliError,
  formatDate,
  formatRegistryDetail,
  formatRegistryTable,
  formatTable,
  lastSynced,
  reportError,
  UsageError,
} from './output.js';

function registry(over: Partial<RegistryView> = {}): RegistryView {
  return {
    id: 'r1',
    name: 'internal',
    scope: 'tenant',
    kind: 'helm',
    endpoint: 'https://charts.internal.example',
    protected: true,
    auth: { type: 'none' },
    passCredentials: false,
    tls: { caCert: null, insecureSkipVerify: false },
    ociRepositories: [],
    plainHttp: false,
    syncIntervalMinutes: 60,
    maxIndexBytes: null,
    syncStatus: 'disabled',
    lastSyncedAt: null,
    lastError: null,
    chartCount: 0,
    versionCount: 0,
    createdAt: '2026-11-21T10:04:05.123Z',
    updatedAt: '2026-11-21T10:04:05.123Z',
    ...over,
  };
}

function capture(): { text: () => string; write: (s: string) => void } {
  let out = '';
  return { text: () => out, write: (s: string) => void (out += s) };
}

describe('formatTable', () => {
  it('aligns columns two spaces apart and leaves no trailing blanks', () => {
    const out = formatTable(
      ['NAME', 'KIND', 'CHARTS'],
      [
        ['a', 'helm', '1'],
        ['longer-name', 'oci', ''],
      ],
    );
    assert.equal(out, 'NAME         KIND  CHARTS\n' + 'a            helm  1\n' + 'longer-name  oci\n');
  });

  it('prints only the header for no rows', () => {
    assert.equal(formatTable(['A', 'B'], []), 'A  B\n');
  });
});

describe('registry output', () => {
  it('shows n/a as Last Synced for a protected registry, never or a date otherwise', () => {
    assert.equal(lastSynced(registry()), 'n/a');
    // Even if a stale timestamp were sent, protected means never contacted.
    assert.equal(lastSynced(registry({ lastSyncedAt: '2026-01-01T00:00:00Z' })), 'n/a');
    assert.equal(lastSynced(registry({ protected: false, syncStatus: 'never' })), 'never');
    assert.equal(
      lastSynced(registry({ protected: false, lastSyncedAt: '2026-11-21T10:04:59.900Z' })),
      '2026-11-21 10:04 UTC',
    );
  });

  it('lays out the registry table with the documented columns', () => {
    const out = formatRegistryTable([
      registry(),
      registry({
        name: 'bitnami',
        scope: 'system',
        kind: 'oci',
        endpoint: 'oci://registry-1.docker.io/bitnamicharts',
        protected: false,
        auth: { type: 'basic', username: 'u' },
        syncStatus: 'synced',
        lastSyncedAt: '2026-11-21T09:00:00.000Z',
        chartCount: 12,
      }),
    ]);
    const lines = out.trimEnd().split('\n');
    assert.equal(lines.length, 3);
    assert.match(lines[0]!, /^NAME +SCOPE +KIND +ENDPOINT +PROTECTED +AUTH +LAST SYNCED +STATUS +CHARTS$/);
    const header = lines[0]!;
    for (const [col, value] of [
      ['SCOPE', 'tenant'],
      ['PROTECTED', 'yes'],
      ['LAST SYNCED', 'n/a'],
      ['STATUS', 'disabled'],
    ] as const) {
      assert.equal(lines[1]!.slice(header.indexOf(col)).split('  ')[0], value, col);
    }
    assert.equal(lines[2]!.slice(header.indexOf('LAST SYNCED')).split('  ')[0], '2026-11-21 09:00 UTC');
    assert.equal(lines[2]!.slice(header.indexOf('AUTH')).split(' ')[0], 'basic');
    assert.ok(lines[2]!.endsWith('12'));
  });

  it('says so when there are no registries', () => {
    assert.equal(formatRegistryTable([]), 'No Helm registries.\n');
  });

  it('details a registry without its CA certificate and with n/a for protected', () => {
    const out = formatRegistryDetail(
      registry({ tls: { caCert: '-----BEGIN CERTIFICATE-----', insecureSkipVerify: false } }),
    );
    assert.match(out, /^Last synced: +n\/a$/m);
    assert.match(out, /^TLS CA certificate: +custom$/m);
    assert.doesNotMatch(out, /BEGIN CERTIFICATE/);
  });

  it('formats dates to the minute in UTC and passes through what it cannot parse', () => {
    assert.equal(formatDate('2026-11-21T23:59:59+02:00'), '2026-11-21 21:59 UTC');
    assert.equal(formatDate('soon'), 'soon');
    assert.equal(formatDate(null), '-');
  });
});

describe('reportError', () => {
  it('prints the message and each detail, exit 1, no stack', () => {
    const err = capture();
    const code = reportError(
      new ApiError(400, 'invalid_request', 'The request body is invalid.', [
        { field: 'name', message: 'must not be empty' },
        { message: 'and one without a field' },
      ]),
      err,
      {},
    );
    assert.equal(code, 1);
    assert.equal(
      err.text(),
      'error: The request body is invalid.\n  name: must not be empty\n  and one without a field\n',
    );
  });

  it('exits 2 for usage errors and keeps CliError exit codes', () => {
    assert.equal(reportError(new UsageError('choose --tenant'), capture(), {}), 2);
    assert.equal(reportError(new CliError('aborted', 130), capture(), {}), 130);
  });

  it('adds a sign-in hint to a rejected token, naming CHARTHOUSE_TOKEN when that is the source', () => {
    const stored = capture();
    reportError(
      new ApiError(401, 'invalid_token', 'The token is not valid or has expired: sign in again.'),
      stored,
      {},
    );
    assert.match(stored.text(), /hint: sign in again with "charthouse login"/);
    const env = capture();
    reportError(new ApiError(401, 'invalid_token', 'bad'), env, { CHARTHOUSE_TOKEN: 'chp_x' });
    assert.match(env.text(), /CHARTHOUSE_TOKEN/);
    assert.doesNotMatch(env.text(), /chp_x/);
    const login = capture();
    reportError(new ApiError(401, 'invalid_credentials', 'The username or password is wrong.'), login, {});
    assert.doesNotMatch(login.text(), /hint/);
  });

  it('prints unexpected errors as one line', () => {
    const err = capture();
    assert.equal(reportError(new TypeError('boom'), err, {}), 1);
    assert.equal(err.text(), 'error: boom\n');
  });
});
