import { parseRegistryEndpoint } from '../protocol/registry-endpoint.js';
import type { SecretBox } from '../shared/secret-box.js';
import type { RegistryRow } from './registry.repository.js';
import type { UpstreamConnection } from '../upstream/upstream-connection.js';

type ConnectionColumns = Pick<
  RegistryRow,
  | 'id'
  | 'endpoint'
  | 'plain_http'
  | 'username'
  | 'password_enc'
  | 'pass_credentials'
  | 'tls_ca_cert'
  | 'tls_insecure_skip_verify'
  | 'oci_repositories'
>;

/**
 * A registry row's connection settings, password decrypted: the one place a connection is built, for
 * validation (registry.service.ts), sync (classic index and OCI) and chart archive reads alike, so all
 * of them apply the same endpoint, credential and TLS rules.
 */
export function registryConnection(row: ConnectionColumns, secrets: SecretBox): UpstreamConnection {
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
    ociRepositories: JSON.parse(row.oci_repositories) as string[],
  };
}
