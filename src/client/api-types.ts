/*
 * The API's shapes as the client's callers (the CLI, the console) name them: re-exported from the
 * server's own schemas, so a schema change breaks them at compile time rather than at run time.
 */
export type { IssuedTokenView, SessionView, TokenList, TokenView } from '../identity/auth.schema.js';
export type {
  RegistryCreateBody,
  RegistryList,
  RegistryPatchBody,
  RegistryView,
} from '../registries/registry.schema.js';
export type {
  ChartDetail,
  ChartSearchResult,
  ChartSummary,
  ChartVersionDetail,
} from '../catalog/catalog.schema.js';
export type { SyncRunList, SyncRunView } from '../sync/sync.schema.js';
export type {
  LayerIn,
  LayerView,
  PlanLayer,
  ProfileCreateBody,
  ProfileDiff,
  ProfileList,
  ProfilePlan,
  ProfileVersionView,
  ProfileView,
  VariableIn,
  VariableView,
  VersionCreateBody,
  VersionSpecBody,
  VersionSummary,
} from '../profiles/profile.schema.js';
export type { HostedView } from '../hosted/hosted.schema.js';
export type {
  AgentHeartbeatBody,
  AgentPlan,
  AgentPlanLayer,
  AgentPlanProfile,
  AgentPull,
  AgentRegistry,
  AgentReportAccepted,
  AgentReportBody,
  LayerReport,
} from '../clusters/agent.schema.js';
export type {
  AgentTokenIssued,
  AssignmentIn,
  AssignmentView,
  ClusterCreateBody,
  ClusterCreated,
  ClusterList,
  ClusterPatchBody,
  ClusterView,
  LayerStateView,
} from '../clusters/cluster.schema.js';
export type {
  AgentReleaseIn,
  AgentReleasesBody,
  AgentReleasesReply,
  DiscoveredReleaseView,
  DiscoveryRunList,
  DiscoveryRunView,
  ProfileFromClusterBody,
  ProfileFromClusterReply,
  RegistryMatch,
  ReleaseList,
  SyncedChartView,
  SyncReleasesReply,
} from '../discovery/discovery.schema.js';
export type {
  InvitationList,
  InvitationView,
  JoinedView,
  MeView,
  MemberBody,
  MemberList,
  MemberView,
  TenantBody,
  TenantList,
  TenantView,
} from '../tenants/tenant.schema.js';
