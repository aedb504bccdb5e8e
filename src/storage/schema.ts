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

/** A pending invitation to join a tenant, by username (the user may not exist yet). */
export interface TenantInvitationsTable {
  id: string;
  tenant_id: string;
  /** Lowercase, as usernames are stored. */
  username: string;
  role: 'admin' | 'member';
  /** The inviting administrator's username, shown to the invitee. */
  invited_by: string;
  created_at: string;
  expires_at: string;
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
  // Added by migration 2026-11-21T01-00-catalog. Optional in this type only so that inserts written
  // before the column existed still compile: it has a SQL default (NULL). A sync's runtime state that
  // once sat beside it lives in registry_sync_state (migration 2026-12-05T01-00-jobs).
  /** Per-registry override of the index size limit, in bytes. */
  max_index_bytes?: number | null;
  // Hosted registries (migration 2026-11-21T07-00-hosted); optional for the same reason as above.
  /** 1 when anonymous clients may pull from this hosted registry. */
  hosted_public_read?: number;
  /** Bumped by every write to a hosted registry; index.yaml caches compare it. */
  hosted_revision?: number;
}

/** One chart version of a synced registry. JSON columns hold JSON text. */
export interface ChartVersionsTable {
  id: string;
  registry_id: string;
  chart_name: string;
  version: string;
  /** Byte-wise order of this key is SemVer precedence (built by the protocol layer). */
  sort_key: string;
  app_version: string | null;
  api_version: string | null;
  type: string | null;
  description: string | null;
  icon: string | null;
  home: string | null;
  /** JSON array of URLs. */
  sources: string;
  /** JSON array of strings. */
  keywords: string;
  /** JSON array of {name, email?, url?}. */
  maintainers: string;
  kube_version: string | null;
  deprecated: number;
  created: string | null;
  digest: string | null;
  /** JSON array of the index entry's URLs as published. */
  urls: string;
  /** The chart archive's absolute URL, resolved as Helm does; null when there is none. */
  chart_url: string | null;
  /** JSON array of dependencies. */
  dependencies: string;
  /** JSON object of annotations. */
  annotations: string;
  /** Hash of the stored metadata: equal hash, nothing to write. */
  content_hash: string;
  /** 1 once the version's digest changed upstream (the same version re-published with other content). */
  republished: number;
  first_seen_at: string;
  updated_at: string;
}

export interface SyncRunsTable {
  id: string;
  registry_id: string;
  trigger: 'schedule' | 'manual';
  status: 'running' | 'succeeded' | 'unchanged' | 'failed' | 'suspect';
  started_at: string;
  finished_at: string | null;
  added: number;
  updated: number;
  removed: number;
  unchanged: number;
  /** JSON array of {chart?, version?, message}. */
  warnings: string;
  error: string | null;
  error_code: string | null;
}

/** Files read from a chart archive, cached by the archive's sha256 (64 hex); null when the chart has none. */
export interface ChartFilesTable {
  digest: string;
  values_yaml: string | null;
  readme: string | null;
  values_schema: string | null;
  created_at: string;
  /** The archive's content fingerprint (protocol/helm/release/chart-fingerprint.ts); null until computed. */
  fingerprint: string | null;
}

/** A chart icon by its URL's sha256 (icons/icon.repository.ts): the image, or a failure remembered a while. */
export interface ChartIconsTable {
  url_digest: string;
  url: string;
  /** sha256 hex of `content`; null for a failure. */
  content_digest: string | null;
  media_type: string | null;
  content: Buffer | null;
  error_code: string | null;
  error_message: string | null;
  fetched_at: string;
  expires_at: string;
}

/** A tenant's cluster (clusters/cluster.repository.ts): reached through its agent or a kubeconfig. */
export interface ClustersTable {
  id: string;
  tenant_id: string;
  name: string;
  description: string | null;
  mode: 'agent' | 'kubeconfig';
  /** SHA-256 (hex) of the agent token; unique; null for kubeconfig clusters. */
  token_hash: string | null;
  token_created_at: string | null;
  /** The kubeconfig, sealed with the cluster id (shared/secret-box.ts). */
  kubeconfig_enc: string | null;
  /** The API server the kubeconfig names, for display. */
  server: string | null;
  /** SHA-256 of the plan's content (without its revision) as last computed. */
  plan_hash: string | null;
  plan_revision: number;
  delivered_revision: number | null;
  delivered_at: string | null;
  last_heartbeat_at: string | null;
  agent_version: string | null;
  /** Whether discovery keeps the values users supplied to releases (sealed) or omits them. */
  release_values: 'sealed' | 'omitted';
  /** An agent cluster's pending discovery: JSON {run, namespaces}, cleared when its agent answers. */
  discovery_request: string | null;
  created_by: string;
  created_at: string;
  updated_at: string;
}

/** A published profile version given to a cluster, in install order, with the cluster's variable values. */
export interface ClusterAssignmentsTable {
  cluster_id: string;
  position: number;
  profile_id: string;
  version: string;
  /** JSON: name → value, or → {sealed} for a sensitive variable (clusters/assignment-values.ts). */
  variables: string;
}

/** What the agent last said about one layer of the cluster's plan. */
export interface ClusterLayerStatesTable {
  cluster_id: string;
  profile_name: string;
  layer_name: string;
  version: string;
  state: 'pending' | 'pulled' | 'verified' | 'installed' | 'failed';
  reason: string | null;
  reference: string | null;
  digest: string | null;
  /** The provenance result, with the signer where verified (`verified: Alice <a@x> (ABCD…)`). */
  provenance: string | null;
  /** JSON {name, namespace, revision, status}, or null. */
  release: string | null;
  plan_revision: number;
  reported_at: string;
}

/** A report as the agent sent it (bounded history per cluster), stale ones marked. */
export interface ClusterReportsTable {
  id: string;
  cluster_id: string;
  plan_revision: number;
  stale: number;
  body: string;
  received_at: string;
}

/** One discovery of a cluster's Helm releases (discovery/discovery-run.repository.ts). */
export interface DiscoveryRunsTable {
  id: string;
  cluster_id: string;
  trigger: 'manual' | 'schedule' | 'agent';
  status: 'requested' | 'running' | 'succeeded' | 'failed';
  /** JSON array of the namespaces asked for; null for all. */
  namespaces: string | null;
  requested_by: string | null;
  requested_at: string;
  started_at: string | null;
  finished_at: string | null;
  /** Release Secrets and ConfigMaps read. */
  objects: number;
  releases: number;
  helm2: number;
  matched: number;
  /** JSON array of DiscoveryWarning. */
  warnings: string;
  error: string | null;
  error_code: string | null;
}

/** The newest revision of one release a discovery run found (discovery/discovered-release.repository.ts). */
export interface DiscoveredReleasesTable {
  id: string;
  cluster_id: string;
  run_id: string;
  name: string;
  namespace: string;
  revision: number;
  status: string;
  chart_name: string;
  chart_version: string;
  app_version: string | null;
  first_deployed: string | null;
  last_deployed: string | null;
  driver: 'secret' | 'configmap';
  helm_major: number;
  /** release_charts.digest of the chart stored in the release; null for Helm 2. */
  chart_digest: string | null;
  /** Content fingerprint of that chart; null for Helm 2. */
  fingerprint: string | null;
  /** How many dependencies (subcharts) its Chart.yaml declares: Helm does not store them. */
  dependencies: number;
  /** The user-supplied values, sealed (JSON); null when omitted or none. */
  values_enc: string | null;
  values_state: 'sealed' | 'omitted' | 'none';
  /** What the last "Sync discovered charts" did with it: created, unchanged, conflict, failed, skipped. */
  sync_outcome: string | null;
  sync_message: string | null;
  synced_at: string | null;
}

/** A chart as stored inside Helm releases: gzipped JSON, keyed by its sha256. */
export interface ReleaseChartsTable {
  digest: string;
  body: Buffer;
  created_at: string;
}

/** The digest an agent verified for a protected layer of a published version (first one wins). */
export interface ProfileLayerVerificationsTable {
  version_id: string;
  layer_name: string;
  digest: string;
  cluster_id: string;
  verified_at: string;
}

/** A cluster profile of a tenant (profiles/profile.repository.ts); its content is in its versions. */
export interface ClusterProfilesTable {
  id: string;
  tenant_id: string;
  name: string;
  description: string | null;
  created_by: string;
  created_at: string;
  updated_at: string;
}

/** One numbered version of a cluster profile: a draft (editable) or published (frozen, with its lock). */
export interface ProfileVersionsTable {
  id: string;
  profile_id: string;
  version: string;
  /** Byte-wise order is SemVer precedence (protocol/helm/semver-sort.ts). */
  sort_key: string;
  status: 'draft' | 'published';
  description: string | null;
  /** JSON: {variables, layers} as the API takes them, sensitive defaults sealed (profiles/profile-spec.ts). */
  spec: string;
  /** JSON: what publishing resolved (profiles/profile-lock.ts); null for a draft. */
  lock: string | null;
  /** Bumped by every write: conditional updates make concurrent edits and publishes exclusive. */
  revision: number;
  created_by: string;
  created_at: string;
  updated_at: string;
  published_by: string | null;
  published_at: string | null;
}

/** A stored blob (pg-blob-store.ts): its sha256 digest ("sha256:" + 64 hex) and size in bytes. */
export interface BlobsTable {
  digest: string;
  /** bigint on PostgreSQL, which node-postgres returns as a string. */
  size: number | string;
  created_at: string;
}

/** A blob's bytes in 1 MiB pieces, under its digest, or under "upload:<id>" while it is written. */
export interface BlobChunksTable {
  blob_key: string;
  seq: number;
  data: Buffer;
}

/** Which blobs a hosted registry holds (blob bytes are in the blob store, shared by digest). */
export interface HostedBlobsTable {
  registry_id: string;
  digest: string;
  size: number | string;
  created_at: string;
}

/** An OCI manifest of a hosted registry, stored byte for byte. */
export interface HostedManifestsTable {
  registry_id: string;
  repository: string;
  digest: string;
  media_type: string;
  size: number;
  content: Buffer;
  created_at: string;
}

export interface HostedTagsTable {
  registry_id: string;
  repository: string;
  tag: string;
  digest: string;
  updated_at: string;
}

/** A chart version of a hosted registry: its archive, provenance and OCI manifest. */
export interface HostedChartsTable {
  registry_id: string;
  chart_name: string;
  version: string;
  file_name: string;
  chart_digest: string;
  chart_size: number | string;
  prov_digest: string | null;
  prov_size: number | string | null;
  manifest_digest: string | null;
  created_at: string;
  updated_at: string;
}

/** An open OCI blob upload session. */
export interface HostedUploadsTable {
  id: string;
  registry_id: string;
  repository: string;
  size: number | string;
  created_at: string;
  updated_at: string;
}

export interface HostedUploadPartsTable {
  upload_id: string;
  seq: number;
  digest: string;
  size: number | string;
}

/**
 * What the sync engine learns about a registry, apart from its settings (registries/): written only
 * by sync/sync-state.repository.ts. One row per synced registry, created by its first sync.
 */
export interface RegistrySyncStateTable {
  registry_id: string;
  /** Validators of the last fetched index.yaml, for the next conditional GET. */
  etag: string | null;
  last_modified: string | null;
  /** SHA-256 (hex) of the last index body committed, so an unchanged body costs no writes. */
  content_digest: string | null;
  /** OCI only: tags found not to be charts, as `oci-sync.ts` encodes them. */
  oci_skipped_tags: string | null;
  /**
   * Classic only: JSON digests of the index's charts as last normalized (sync/index-sync.ts
   * ChartDigests), so a re-sync skips the unchanged ones. Optional: added by 2026-12-10T00-00-index-charts.
   */
  index_charts?: string | null;
  /** Consecutive failed syncs, for the retry backoff. */
  failure_count: number;
  next_sync_at: string | null;
}

/** A server process, alive while `heartbeat_at` is recent (jobs/job-worker.repository.ts). */
export interface JobWorkersTable {
  id: string;
  host: string;
  pid: number;
  started_at: string;
  heartbeat_at: string;
}

/** Who runs a job now (jobs/job-lease.repository.ts): held while the owner's heartbeat is fresh. */
export interface JobLeasesTable {
  key: string;
  kind: string;
  owner: string;
  acquired_at: string;
}

/** When a process-wide periodic job runs next (jobs/periodic-job.ts). */
export interface JobScheduleTable {
  key: string;
  next_run_at: string;
  failure_count: number;
  last_error: string | null;
}

export interface Database {
  users: UsersTable;
  tenants: TenantsTable;
  memberships: MembershipsTable;
  tenant_invitations: TenantInvitationsTable;
  api_tokens: ApiTokensTable;
  helm_registries: HelmRegistriesTable;
  chart_versions: ChartVersionsTable;
  sync_runs: SyncRunsTable;
  registry_sync_state: RegistrySyncStateTable;
  job_workers: JobWorkersTable;
  job_leases: JobLeasesTable;
  job_schedule: JobScheduleTable;
  chart_files: ChartFilesTable;
  chart_icons: ChartIconsTable;
  cluster_profiles: ClusterProfilesTable;
  profile_versions: ProfileVersionsTable;
  clusters: ClustersTable;
  cluster_assignments: ClusterAssignmentsTable;
  cluster_layer_states: ClusterLayerStatesTable;
  cluster_reports: ClusterReportsTable;
  profile_layer_verifications: ProfileLayerVerificationsTable;
  discovery_runs: DiscoveryRunsTable;
  discovered_releases: DiscoveredReleasesTable;
  release_charts: ReleaseChartsTable;
  blobs: BlobsTable;
  blob_chunks: BlobChunksTable;
  hosted_blobs: HostedBlobsTable;
  hosted_manifests: HostedManifestsTable;
  hosted_tags: HostedTagsTable;
  hosted_charts: HostedChartsTable;
  hosted_uploads: HostedUploadsTable;
  hosted_upload_parts: HostedUploadPartsTable;
}
