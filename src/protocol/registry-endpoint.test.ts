import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidRequestError } from '../shared/errors.js';
import { parseRegistryEndpoint, resolveHelmReference } from './registry-endpoint.js';

function assertInvalid(endpoint: string, pattern: RegExp): void {
  assert.throws(
    () => parseRegistryEndpoint(endpoint),
    (error: unknown) => {
      assert.ok(error instanceof InvalidRequestError, `expected InvalidRequestError for ${endpoint}`);
      assert.equal(error.details?.[0]?.field, 'endpoint');
      assert.match(error.message, pattern);
      return true;
    },
  );
}

describe('parseRegistryEndpoint: helm', () => {
  it('tells helm from oci by the scheme and drops the trailing slash', () => {
    const parsed = parseRegistryEndpoint('https://Charts.Example.com/org/repo/');
    assert.equal(parsed.kind, 'helm');
    assert.equal(parsed.endpoint, 'https://charts.example.com/org/repo');
    assert.equal(parsed.baseUrl.href, 'https://charts.example.com/org/repo');
    assert.equal(parsed.host, 'charts.example.com');
    assert.equal(parsed.ociPathPrefix, '');
  });

  it('shows a bare host without a slash, keeps ports and query strings', () => {
    assert.equal(parseRegistryEndpoint('http://charts.example.com/').endpoint, 'http://charts.example.com');
    assert.equal(
      parseRegistryEndpoint('https://h.example:8443/r/?sig=abc').endpoint,
      'https://h.example:8443/r?sig=abc',
    );
  });

  it('normalizes numeric IPv4 forms the way the connection will see them', () => {
    assert.equal(parseRegistryEndpoint('http://0x7f000001/').host, '127.0.0.1');
    assert.equal(parseRegistryEndpoint('http://2130706433/').host, '127.0.0.1');
    assert.equal(parseRegistryEndpoint('http://0177.0.0.1/').host, '127.0.0.1');
  });

  it('gives IPv6 hosts without brackets', () => {
    const parsed = parseRegistryEndpoint('http://[::1]:8080/charts');
    assert.equal(parsed.host, '::1');
    assert.equal(parsed.endpoint, 'http://[::1]:8080/charts');
  });

  it('rejects other schemes, naming the supported ones', () => {
    for (const endpoint of [
      'ftp://h/x',
      'file:///etc/passwd',
      'gopher://h/',
      'data:text/plain,x',
      'javascript:x',
    ]) {
      assertInvalid(endpoint, /https:\/\/, http:\/\/ or oci:\/\//);
    }
    assertInvalid('charts.example.com', /must start with/);
  });

  it('rejects credentials in the URL', () => {
    assertInvalid('http://user:pass@h.example/', /put credentials in auth, not in the URL/);
    assertInvalid('oci://user@h.example/x', /put credentials in auth/);
    assertInvalid('http://@h.example/', /credentials/);
  });

  it('rejects bad form: empty host, too long, whitespace, control chars, fragments, backslashes', () => {
    assertInvalid('http:///charts', /no host/);
    assertInvalid('', /empty/);
    assertInvalid(`https://h.example/${'a'.repeat(2048)}`, /longer than 2048/);
    assertInvalid('https://h.example/a b', /spaces or control characters/);
    assertInvalid(' https://h.example/', /spaces/);
    assertInvalid('https://h.example/\u0000', /control characters/);
    assertInvalid('https://h.example/#top', /fragment/);
    assertInvalid('https://h.example\\@evil.example/', /backslash/);
    assertInvalid('http://exa%mple.com/', /not a valid URL/);
  });
});

describe('parseRegistryEndpoint: oci', () => {
  it('splits the host and the repository path prefix', () => {
    const parsed = parseRegistryEndpoint('oci://Registry.Example.com:5000/org/charts/');
    assert.equal(parsed.kind, 'oci');
    assert.equal(parsed.endpoint, 'oci://registry.example.com:5000/org/charts');
    assert.equal(parsed.baseUrl.href, 'https://registry.example.com:5000/');
    assert.equal(parsed.ociPathPrefix, 'org/charts');
    assert.equal(parsed.host, 'registry.example.com');
  });

  it('accepts a bare host and normalizes numeric hosts (oci: is not a special scheme)', () => {
    const parsed = parseRegistryEndpoint('oci://0x7f000001');
    assert.equal(parsed.host, '127.0.0.1');
    assert.equal(parsed.endpoint, 'oci://127.0.0.1');
    assert.equal(parsed.ociPathPrefix, '');
    assert.equal(parseRegistryEndpoint('oci://[::1]:5000/x').host, '::1');
  });

  it('can talk plain http to a test registry', () => {
    assert.equal(
      parseRegistryEndpoint('oci://localhost:5000', { ociPlainHttp: true }).baseUrl.href,
      'http://localhost:5000/',
    );
  });

  it('rejects query strings and invalid repository paths', () => {
    assertInvalid('oci://r.example/x?tag=1', /query string/);
    for (const path of ['Org', 'a//b', 'a/../b', 'a/./b', '-a', 'a_', 'a%2fb', 'a:b']) {
      assertInvalid(`oci://r.example/${path}`, /not a valid OCI repository path/);
    }
    assertInvalid('oci://r.example:99999/x', /not a valid URL/);
  });
});

describe('resolveHelmReference (Helm ResolveReferenceURL)', () => {
  const base = new URL('https://h.example/org/repo');
  const cases: [string, string][] = [
    ['index.yaml', 'https://h.example/org/repo/index.yaml'],
    ['mychart-1.0.0.tgz', 'https://h.example/org/repo/mychart-1.0.0.tgz'],
    ['charts/mychart-1.0.0.tgz', 'https://h.example/org/repo/charts/mychart-1.0.0.tgz'],
    ['/path/to/mychart-1.0.0.tgz', 'https://h.example/path/to/mychart-1.0.0.tgz'],
    ['https://cdn.example/x.tgz', 'https://cdn.example/x.tgz'],
  ];
  for (const [reference, expected] of cases) {
    it(`${reference} → ${expected}`, () =>
      assert.equal(resolveHelmReference(base, reference).href, expected));
  }

  it("keeps the base's query string and drops the reference's", () => {
    assert.equal(
      resolveHelmReference(new URL('https://h/r?token=abc'), 'x.tgz?other=1').href,
      'https://h/r/x.tgz?token=abc',
    );
    assert.equal(
      resolveHelmReference(new URL('https://h/r/?sig=x'), 'index.yaml').href,
      'https://h/r/index.yaml?sig=x',
    );
  });
});
