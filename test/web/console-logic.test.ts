import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError, type RegistryView } from '../../src/client/api-client.js';
import { shouldRetry } from '../../web/src/app/query-client.js';
import { safeNext } from '../../web/src/app/safe-next.js';
import { endpointText, lastSyncedText } from '../../web/src/registries/registry-format.js';
import {
  checkLocally,
  emptyValues,
  errorsFrom,
  REGISTRY_NAME_PATTERN as FORM_NAME_PATTERN,
  toCreateBody,
  toPatchBody,
  valuesFrom,
} from '../../web/src/registries/registry-form-model.js';
import { REGISTRY_NAME_PATTERN as SERVER_NAME_PATTERN } from '../../src/registries/registry.schema.js';

/** The console's pure logic: form ⇄ API bodies, error placement, retry policy, redirects. */

const view = (over: Partial<RegistryView> = {}): RegistryView => ({
  id: 'r1',
  name: 'private',
  scope: 'tenant',
  kind: 'helm',
  endpoint: 'https://charts.example.com',
  protected: false,
  auth: { type: 'basic', username: 'robot' },
  passCredentials: false,
  tls: { caCert: null, insecureSkipVerify: false },
  ociRepositories: [],
  plainHttp: false,
  syncIntervalMinutes: 60,
  maxIndexBytes: null,
  syncStatus: 'never',
  lastSyncedAt: null,
  lastError: null,
  chartCount: 0,
  versionCount: 0,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  ...over,
});

describe('registry form → API bodies', () => {
  it('sends No Authentication by default and only OCI fields for oci:// endpoints', () => {
    const values = { ...emptyValues(), name: ' kong ', endpoint: 'https://charts.konghq.com ' };
    values.plainHttp = true;
    values.ociRepositories = 'a\nb';
    assert.deepEqual(toCreateBody(values), {
      name: 'kong',
      endpoint: 'https://charts.konghq.com',
      protected: false,
      auth: { type: 'none' },
      passCredentials: false,
      syncIntervalMinutes: 60,
    });
    const oci = toCreateBody({ ...values, endpoint: 'oci://ghcr.io/org' });
    assert.equal(oci.plainHttp, true);
    assert.deepEqual(oci.ociRepositories, ['a', 'b']);
  });

  it('sends credentials and TLS settings when given', () => {
    const body = toCreateBody({
      ...emptyValues(),
      name: 'p',
      endpoint: 'https://x.example',
      noAuth: false,
      username: 'robot',
      password: 's3cret',
      caCert: 'PEM',
    });
    assert.deepEqual(body.auth, { type: 'basic', username: 'robot', password: 's3cret' });
    assert.deepEqual(body.tls, { insecureSkipVerify: false, caCert: 'PEM' });
  });

  it('patches only what changed: nothing, a rename, an interval, a removed certificate', () => {
    const initial = valuesFrom(view({ tls: { caCert: 'PEM', insecureSkipVerify: false } }));
    assert.equal(toPatchBody(initial, { ...initial }), null);
    assert.deepEqual(toPatchBody(initial, { ...initial, name: 'renamed' }), { name: 'renamed' });
    assert.deepEqual(toPatchBody(initial, { ...initial, syncIntervalMinutes: '15' }), {
      syncIntervalMinutes: 15,
    });
    assert.deepEqual(toPatchBody(initial, { ...initial, caCert: null }), { tls: { caCert: null } });
  });

  it('keeps the stored password when the field is left empty, and sends a new one when typed', () => {
    const initial = valuesFrom(view());
    assert.equal(initial.password, '');
    assert.equal(toPatchBody(initial, { ...initial })?.auth, undefined);
    assert.deepEqual(toPatchBody(initial, { ...initial, password: 'new' })?.auth, {
      type: 'basic',
      username: 'robot',
      password: 'new',
    });
    assert.deepEqual(toPatchBody(initial, { ...initial, noAuth: true })?.auth, { type: 'none' });
  });

  it('checks every field it can judge before sending, with the server rules', () => {
    const valid = { ...emptyValues(), name: 'kong', endpoint: 'https://charts.example.com' };
    assert.equal(checkLocally(valid), null);
    assert.equal(checkLocally({ ...valid, syncIntervalMinutes: '' }), null);
    for (const bad of ['4', '10081', '7.5', 'abc'])
      assert.ok(checkLocally({ ...valid, syncIntervalMinutes: bad })?.fields.syncIntervalMinutes, bad);

    const empty = checkLocally({ ...emptyValues(), noAuth: false });
    assert.deepEqual(empty?.fields, {
      name: 'Required.',
      endpoint: 'Required.',
      username: 'Required.',
      password: 'Required.',
    });
    assert.match(empty?.summary ?? '', /Correct the highlighted fields/);

    assert.match(checkLocally({ ...valid, name: 'a b' })?.fields.name ?? '', /letters, digits/);
    assert.match(checkLocally({ ...valid, name: 'x'.repeat(64) })?.fields.name ?? '', /63/);
    assert.match(
      checkLocally({ ...valid, endpoint: 'charts.example.com' })?.fields.endpoint ?? '',
      /https:\/\//,
    );
    assert.match(
      checkLocally({ ...valid, endpoint: 'https://user:pw@charts.example.com' })?.fields.endpoint ?? '',
      /credentials/,
    );
    const oci = { ...valid, endpoint: 'oci://registry.example.com' };
    assert.equal(checkLocally({ ...oci, ociRepositories: 'charts/app\n/other/' }), null);
    assert.match(
      checkLocally({ ...oci, ociRepositories: 'Charts' })?.fields.ociRepositories ?? '',
      /"Charts"/,
    );
  });

  it('keeps a stored password on edit for the same user only', () => {
    const initial = {
      ...emptyValues(),
      name: 'kong',
      endpoint: 'https://c.example',
      noAuth: false,
      username: 'robot',
    };
    assert.equal(checkLocally(initial, { initial }), null);
    assert.equal(checkLocally({ ...initial, username: 'other' }, { initial })?.fields.password, 'Required.');
    const wasOpen = { ...initial, noAuth: true, username: '' };
    assert.equal(checkLocally(initial, { initial: wasOpen })?.fields.password, 'Required.');
  });

  it('uses the server registry name rule', () => {
    assert.equal(FORM_NAME_PATTERN, SERVER_NAME_PATTERN);
  });
});

describe('API errors → form errors', () => {
  it('puts field details next to their controls', () => {
    const errors = errorsFrom(
      new ApiError(400, 'invalid_request', 'The request body is invalid: auth.password: is required.', [
        { field: 'auth.password', message: 'is required' },
        { field: 'tls.caCert', message: 'not a PEM certificate' },
        { field: 'ociRepositories[2]', message: 'bad name' },
        { field: 'name', message: 'contains characters that are not allowed (see the API documentation)' },
      ]),
    );
    assert.equal(errors.fields.password, 'Required.');
    assert.equal(errors.fields.caCert, 'Not a PEM certificate.');
    assert.equal(errors.fields.ociRepositories, 'Bad name.');
    assert.match(errors.fields.name ?? '', /letters, digits/);
    assert.match(errors.summary ?? '', /Nothing was saved/);
  });

  it('puts an upstream failure at the top in the server words, and a taken name at the name', () => {
    const upstream = errorsFrom(
      new ApiError(422, 'upstream_unauthorized', 'The registry refused the credentials.'),
    );
    assert.equal(upstream.summary, 'Nothing was saved. The registry refused the credentials.');
    assert.deepEqual(upstream.fields, {});
    const taken = errorsFrom(
      new ApiError(409, 'registry_name_taken', 'A registry named "x" already exists here.'),
    );
    assert.match(taken.fields.name ?? '', /already exists/);
  });
});

describe('small rules', () => {
  it('shows n/a as Last Synced for protected registries, never before the first sync, else a date', () => {
    assert.equal(lastSyncedText(view({ protected: true, lastSyncedAt: null })), 'n/a');
    assert.equal(lastSyncedText(view()), 'never');
    assert.match(lastSyncedText(view({ lastSyncedAt: '2026-03-04T05:06:07.000Z' })), /2026/);
  });

  it('retries only what may succeed on a second try', () => {
    assert.equal(shouldRetry(0, new ApiError(0, 'server_unreachable', 'down')), true);
    assert.equal(shouldRetry(0, new ApiError(503, 'http_503', 'busy')), true);
    assert.equal(shouldRetry(0, new ApiError(429, 'rate_limited', 'slow down')), true);
    assert.equal(shouldRetry(2, new ApiError(503, 'http_503', 'busy')), false);
    for (const status of [400, 401, 403, 404, 422])
      assert.equal(shouldRetry(0, new ApiError(status, 'x', 'y')), false);
  });

  it('returns after sign-in only to a path on this site', () => {
    assert.equal(safeNext('/t/acme/settings/members'), '/t/acme/settings/members');
    for (const bad of [
      null,
      '',
      'https://evil.example',
      '//evil.example',
      '/\\evil.example',
      '/login?next=/x',
    ])
      assert.equal(safeNext(bad), '/', String(bad));
  });
});

describe('endpointText', () => {
  const registry = (endpoint: string) => ({ endpoint }) as Parameters<typeof endpointText>[0];
  it("shows a hosted registry's stored path on the console's own origin, other endpoints as they are", () => {
    assert.equal(
      endpointText(registry('/helm/acme'), 'https://charts.example.com'),
      'https://charts.example.com/helm/acme',
    );
    assert.equal(endpointText(registry('oci://ghcr.io/acme'), 'https://x'), 'oci://ghcr.io/acme');
  });
});
