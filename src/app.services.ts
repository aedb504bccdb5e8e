import type { Logger } from 'pino';
import type { CatalogService } from './catalog/catalog.service.js';
import type { AgentService } from './clusters/agent.service.js';
import type { ClusterService } from './clusters/cluster.service.js';
import type { Config } from './config/config.js';
import type { AdoptionService } from './discovery/adoption.service.js';
import type { DiscoveryService } from './discovery/discovery.service.js';
import type { HostedService } from './hosted/hosted.service.js';
import type { AuthService } from './identity/auth.service.js';
import type { IconService } from './icons/icon.service.js';
import type { ProfileService } from './profiles/profile.service.js';
import type { RegistryService } from './registries/registry.service.js';
import type { ServerLifecycle } from './shared/lifecycle.js';
import type { Storage } from './storage/database.js';
import type { SyncService } from './sync/sync.service.js';
import type { MemberService } from './tenants/member.service.js';
import type { TenantService } from './tenants/tenant.service.js';

/** Everything the HTTP ring may call: domain services, never repositories. */
export interface AppServices {
  config: Readonly<Config>;
  logger: Logger;
  storage: Pick<Storage, 'ping' | 'dialect'>;
  lifecycle: ServerLifecycle;
  auth: AuthService;
  tenants: TenantService;
  members: MemberService;
  registries: RegistryService;
  sync: SyncService;
  catalog: CatalogService;
  hosted: HostedService;
  icons: IconService;
  profiles: ProfileService;
  clusters: ClusterService;
  agents: AgentService;
  discovery: DiscoveryService;
  adoption: AdoptionService;
}
