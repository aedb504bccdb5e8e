import type { HelmRegistriesTable } from '../../src/storage/schema.js';
import { newId } from '../../src/shared/ids.js';

/**
 * A stored helm_registries row for storage tests and benchmarks that write below the service layer:
 * an unprotected, unauthenticated classic registry in system scope, never synced. `columns` overrides.
 */
export function registryRow(
  columns: Partial<HelmRegistriesTable> = {},
  now = new Date(),
): HelmRegistriesTable {
  const id = columns.id ?? newId();
  return {
    id,
    scope: 'system',
    name: `r-${id}`,
    kind: 'helm',
    endpoint: 'https://charts.example.test',
    protected: 0,
    auth_type: 'none',
    username: null,
    password_enc: null,
    pass_credentials: 0,
    tls_ca_cert: null,
    tls_insecure_skip_verify: 0,
    plain_http: 0,
    oci_repositories: '[]',
    sync_interval_minutes: 60,
    sync_status: 'never',
    last_synced_at: null,
    last_error: null,
    chart_count: 0,
    version_count: 0,
    created_at: now.toISOString(),
    updated_at: now.toISOString(),
    ...columns,
  };
}
