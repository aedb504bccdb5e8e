import { parseRegistryEndpoint, type ParsedEndpoint } from '../protocol/registry-endpoint.js';
import type { SecretBox } from '../shared/secret-box.js';
import type { HelmRegistriesTable } from '../storage/schema.js';
import type { UpstreamCredentials, UpstreamTls } from '../upstream/upstream-connection.js';

/** How to reach a registry: what every upstream request for it (index, manifests, chart archives) needs. */
export interface RegistryConnection {
  endpoint: ParsedEndpoint;
  credentials?: UpstreamCredentials;
  /** Send the credentials to other origins too (Helm's --pass-credentials); off by default. */
  passCredentials: boolean;
  tls: UpstreamTls;
}

type ConnectionColumns = Pick<
  HelmRegistriesTable,
  | 'id'
  | 'endpoint'
  | 'plain_http'
  | 'username'
  | 'password_enc'
  | 'pass_credentials'
  | 'tls_ca_cert'
  | 'tls_insecure_skip_verify'
>;

/**
 * A registry row's connection settings, password decrypted. One function for the sync engine and the
 * chart-archive fetch, so both apply the same endpoint, credential and TLS rules.
 */
export function registryConnection(row: ConnectionColumns, secrets: SecretBox): RegistryConnection {
  const endpoint = parseRegistryEndpoint(row.endpoint, { ociPlainHttp: row.plain_http === 1 });
  const password = row.password_enc ? secrets.open(row.password_enc, row.id) : null;
  return {
    endpoint,
    ...(row.username !== null && password !== null
      ? { credentials: { username: row.username, password } }
      : {}),
    passCredentials: row.pass_credentials === 1,
    tls: {
      ...(row.tls_ca_cert ? { caCert: row.tls_ca_cert } : {}),
      insecureSkipVerify: row.tls_insecure_skip_verify === 1,
    },
  };
}
