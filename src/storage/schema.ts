/**
 * Table shapes as the application sees them. Booleans are stored as 0/1 integers and times as ISO 8601
 * UTC text so one set of migrations and queries works on SQLite and PostgreSQL alike.
 */
export interface UsersTable {
  id: string;
  username: string;
  password_hash: string | null;
  is_system_admin: number;
  created_at: string;
}

export interface TenantsTable {
  id: string;
  name: string;
  display_name: string;
  created_at: string;
}

export interface MembershipsTable {
  tenant_id: string;
  user_id: string;
  role: 'admin' | 'member';
  created_at: string;
}

export interface ApiTokensTable {
  id: string;
  user_id: string;
  name: string;
  kind: 'session' | 'personal';
  token_hash: string;
  expires_at: string | null;
  last_used_at: string | null;
  created_at: string;
}

export interface HelmRegistriesTable {
  id: string;
  /** `system` or the owning tenant's id: names are unique per scope. */
  scope: string;
  name: string;
  kind: 'helm' | 'oci' | 'hosted';
  endpoint: string;
  protected: number;
  auth_type: 'none' | 'basic';
  username: string | null;
  /** AES-256-GCM envelope (see shared/secret-box.ts); never the clear password. */
  password_enc: string | null;
  pass_credentials: number;
  tls_ca_cert: string | null;
  tls_insecure_skip_verify: number;
  /** OCI only: talk http instead of https (Helm's --plain-http). */
  plain_http: number;
  /** JSON array of repository names. */
  oci_repositories: string;
  sync_interval_minutes: number;
  sync_status: 'disabled' | 'never' | 'syncing' | 'synced' | 'failed';
  last_synced_at: string | null;
  last_error: string | null;
  chart_count: number;
  version_count: number;
  created_at: string;
  updated_at: string;
}

export interface Database {
  users: UsersTable;
  tenants: TenantsTable;
  memberships: MembershipsTable;
  api_tokens: ApiTokensTable;
  helm_registries: HelmRegistriesTable;
}
