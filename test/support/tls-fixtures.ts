import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A throw-away certificate authority and a server certificate it signed, for 127.0.0.1, ::1 and
 * localhost, made with /usr/bin/openssl once per test process. `otherCaCertPem` is an unrelated CA,
 * for "the wrong CA does not verify" tests.
 */
export interface TlsFixtures {
  dir: string;
  caCertPem: string;
  caCertPath: string;
  serverKeyPem: string;
  serverCertPem: string;
  serverKeyPath: string;
  serverCertPath: string;
  otherCaCertPem: string;
}

const OPENSSL = '/usr/bin/openssl';
const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

let cached: TlsFixtures | undefined;

function openssl(dir: string, args: string[]): void {
  execFileSync(OPENSSL, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

function makeCa(dir: string, name: string): void {
  // prettier-ignore
  openssl(dir, [
    'req', '-x509', ...EC_KEY, '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2',
    '-subj', `/CN=Charthouse test ${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
}

function makeServerCert(dir: string): void {
  writeFileSync(
    join(dir, 'server.ext'),
    [
      'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1',
      'basicConstraints=CA:FALSE',
      'keyUsage=digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
    ].join('\n') + '\n',
  );
  openssl(dir, ['req', ...EC_KEY, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost']);
  // prettier-ignore
  openssl(dir, [
    'x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial',
    '-out', 'server.crt', '-days', '2', '-sha256', '-extfile', 'server.ext',
  ]);
}

/** Creates (once per process) and returns the TLS fixtures; the temp dir is removed at exit. */
export function getTlsFixtures(): TlsFixtures {
  if (cached) return cached;
  const dir = mkdtempSync(join(tmpdir(), 'charthouse-tls-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  makeCa(dir, 'ca');
  makeCa(dir, 'other-ca');
  makeServerCert(dir);
  const read = (file: string) => readFileSync(join(dir, file), 'utf8');
  cached = {
    dir,
    caCertPem: read('ca.crt'),
    caCertPath: join(dir, 'ca.crt'),
    serverKeyPem: read('server.key'),
    serverCertPem: read('server.crt'),
    serverKeyPath: join(dir, 'server.key'),
    serverCertPath: join(dir, 'server.crt'),
    otherCaCertPem: read('other-ca.crt'),
  };
  return cached;
}

/** The `{key, cert}` pair `startFixtureServer({ tls })` expects. */
export function serverTlsOptions(): { key: string; cert: string } {
  const fixtures = getTlsFixtures();
  return { key: fixtures.serverKeyPem, cert: fixtures.serverCertPem };
}
