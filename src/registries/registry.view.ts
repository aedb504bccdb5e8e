import { SYSTEM_SCOPE_KEY } from '../shared/context.js';
import type { RegistryRow } from './registry.repository.js';
import type { RegistryView } from './registry.schema.js';

/** The API shape of a stored registry. The password never leaves: not even whether one is stored. */
export function toRegistryView(row: RegistryRow): RegistryView {
  const isProtected = row.protected === 1;
  return {
    id: row.id,
    name: row.name,
    scope: row.scope === SYSTEM_SCOPE_KEY ? 'system' : 'tenant',
    kind: row.kind,
    endpoint: row.endpoint,
    protected: isProtected,
    auth:
      row.auth_type === 'basic' && row.username !== null
        ? { type: 'basic', username: row.username }
        : { type: 'none' },
    passCredentials: row.pass_credentials === 1,
    tls: { caCert: row.tls_ca_cert, insecureSkipVerify: row.tls_insecure_skip_verify === 1 },
    ociRepositories: JSON.parse(row.oci_repositories) as string[],
    plainHttp: row.plain_http === 1,
    syncIntervalMinutes: row.sync_interval_minutes,
    maxIndexBytes: row.max_index_bytes ?? null,
    syncStatus: isProtected ? 'disabled' : row.sync_status,
    lastSyncedAt: isProtected ? null : row.last_synced_at,
    lastError: row.last_error,
    chartCount: row.chart_count,
    versionCount: row.version_count,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
