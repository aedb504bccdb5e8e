import { createHash, X509Certificate } from 'node:crypto';
import { lookup as dnsLookup } from 'node:dns';
import type { LookupAddress, LookupOptions } from 'node:dns';
import { Agent } from 'undici';
import { InvalidRequestError } from '../shared/errors.js';
import { checkHostAllowed, isAddressAllowed, refuseResolvedAddress } from './address-policy.js';
import type { UpstreamTls } from './upstream-connection.js';
import type { UpstreamPolicy } from './upstream-policy.js';

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/** DNS inside the connect path: the addresses checked are exactly those the socket connects to. */
function guardedLookup(allowPrivateEndpoints: boolean) {
  const policy = { allowPrivateEndpoints };
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    try {
      checkHostAllowed(hostname, policy);
    } catch (error) {
      callback(error as NodeJS.ErrnoException, '');
      return;
    }
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '');
      const refused = addresses.find((entry) => !isAddressAllowed(entry.address, policy));
      if (refused) return callback(refuseResolvedAddress(hostname, refused.address), '');
      const first = addresses[0];
      if (first === undefined) {
        return callback(
          Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }),
          '',
        );
      }
      if (options.all === true) return callback(null, addresses);
      callback(null, first.address, first.family);
    });
  };
}

const dispatchers = new Map<string, Agent>();

/** Throws InvalidRequestError (field `tls.caCert`) when the CA bundle is not usable PEM. */
export function validateCaCertificate(pem: string): void {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  const message = 'tls.caCert must hold one or more PEM certificates ("-----BEGIN CERTIFICATE-----" blocks).';
  if (blocks.length === 0) throw new InvalidRequestError(message, [{ field: 'tls.caCert', message }]);
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch {
      const bad = 'tls.caCert holds a certificate that does not parse: paste the PEM text unchanged.';
      throw new InvalidRequestError(bad, [{ field: 'tls.caCert', message: bad }]);
    }
  }
}

/**
 * One undici Agent per (CA bundle, client certificate, insecure flag, address policy, idle timeout):
 * connection pools and TLS session caches live in an Agent, so one registry's CA or skip-verify (or one
 * cluster's client certificate) can never apply to another.
 */
export function dispatcherFor(tls: UpstreamTls, policy: UpstreamPolicy): Agent {
  const ca = tls.caCert === undefined || tls.caCert.trim() === '' ? undefined : tls.caCert;
  const caHash = ca === undefined ? 'system' : createHash('sha256').update(ca).digest('hex');
  const clientHash =
    tls.clientCert === undefined
      ? 'none'
      : createHash('sha256')
          .update(`${tls.clientCert}\n${tls.clientKey ?? ''}`)
          .digest('hex');
  const key = [
    caHash,
    clientHash,
    tls.insecureSkipVerify,
    policy.allowPrivateEndpoints,
    policy.idleTimeoutMs,
  ].join('|');
  const cached = dispatchers.get(key);
  if (cached) return cached;
  if (ca !== undefined) validateCaCertificate(ca);
  const agent = new Agent({
    connect: {
      lookup: guardedLookup(policy.allowPrivateEndpoints),
      ...(ca === undefined ? {} : { ca }),
      ...(tls.clientCert === undefined ? {} : { cert: tls.clientCert, key: tls.clientKey }),
      rejectUnauthorized: !tls.insecureSkipVerify,
      timeout: policy.idleTimeoutMs,
    },
    headersTimeout: policy.idleTimeoutMs,
    bodyTimeout: policy.idleTimeoutMs,
  });
  dispatchers.set(key, agent);
  return agent;
}

/**
 * Closes every pooled connection (server shutdown, end of tests). Requests still running get `graceMs`
 * to finish, then are cut: an upstream trickling an index must not keep a stopping server alive.
 */
export async function closeUpstreamDispatchers(graceMs = 1_000): Promise<void> {
  const agents = [...dispatchers.values()];
  dispatchers.clear();
  await Promise.all(
    agents.map(async (agent) => {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => {
        timer = setTimeout(() => resolve('late'), graceMs);
        timer.unref();
      });
      const closed = agent.close().then(() => 'closed' as const);
      if ((await Promise.race([closed, late])) === 'late') await agent.destroy();
      clearTimeout(timer);
    }),
  );
}
