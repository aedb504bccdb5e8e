import type { Logger } from 'pino';
import type { AppServices } from './app.services.js';
import type { Config } from './config/config.js';
import { drain } from './app-drain.js';
import { createMetrics } from './http/metrics.js';
import { buildServer } from './http/server.js';
import type { Http } from './http/types.js';
import { AccessChanges } from './identity/access-changes.js';
import { AuthService } from './identity/auth.service.js';
import { SignInLimiter } from './identity/sign-in-limiter.js';
import { UserRepository } from './identity/user.repository.js';
import { LayerChecker } from './profiles/layer-check.js';
import { ProfilePlanner } from './profiles/profile-plan.js';
import { ProfileRepository } from './profiles/profile.repository.js';
import { ProfileService } from './profiles/profile.service.js';
import { ValuesSchemaValidator } from './profiles/values/values-schema.js';
import { RegistryRepository } from './registries/registry.repository.js';
import { RegistryService } from './registries/registry.service.js';
import { ServerLifecycle } from './shared/lifecycle.js';
import { loadOrCreateKey, SecretBox } from './shared/secret-box.js';
import { migrateToLatest, openStorage, type Storage } from './storage/database.js';
import { openPgNotifyChannel, type NotifyChannel } from './storage/notify-channel.js';
import { InvitationRepository } from './tenants/invitation.repository.js';
import { MemberService } from './tenants/member.service.js';
import { TenantRepository } from './tenants/tenant.repository.js';
import { agentArchives } from './clusters/agent-archives.js';
import { syncedArchiveFetcher } from './clusters/synced-archive.js';
import { AgentPlanBuilder } from './clusters/agent-plan.js';
import { AgentService } from './clusters/agent.service.js';
import { ClusterPlans } from './clusters/cluster-plans.js';
import { ClusterRepository } from './clusters/cluster.repository.js';
import { ClusterService } from './clusters/cluster.service.js';
import { discoveryServices } from './discovery/discovery.wiring.js';
import { TenantService } from './tenants/tenant.service.js';
import { CatalogRepository } from './catalog/catalog.repository.js';
import { CatalogService } from './catalog/catalog.service.js';
import { ChartFilesService } from './catalog/chart-files.js';
import { ChartFilesRepository } from './catalog/chart-files.repository.js';
import { IconFetcher } from './icons/icon-fetcher.js';
import { IconRepository } from './icons/icon.repository.js';
import { IconService } from './icons/icon.service.js';
import { CatalogWriter } from './catalog/catalog-writer.js';
import { ChartVersionRepository } from './catalog/chart-version.repository.js';
import { openBlobStore } from './blobs/blob-stores.js';
import { ChartPublisher } from './hosted/chart-publisher.js';
import { HostedGarbageCollector } from './hosted/garbage-collector.js';
import { HostedAccess } from './hosted/hosted-access.js';
import { HostedRepository } from './hosted/hosted.repository.js';
import { HostedService } from './hosted/hosted.service.js';
import { HostedIndexCache } from './hosted/index-yaml.js';
import { OciRegistry } from './hosted/oci-registry.js';
import { OciRepository } from './hosted/oci.repository.js';
import { IndexWorkerPool } from './sync/index-sync.js';
import { SyncEngine } from './sync/sync.engine.js';
import { SyncRunRepository } from './sync/sync-run.repository.js';
import { RegistrySyncJobs } from './sync/registry-sync.job.js';
import { SyncStateRepository } from './sync/sync-state.repository.js';
import { REGISTRY_SYNC } from './sync/sync-lease-key.js';
import { CLUSTER_DISCOVERY } from './discovery/kube-discovery.js';
import { hostedSweepJob } from './hosted/hosted-sweep.job.js';
import { JobLeaseRepository } from './jobs/job-lease.repository.js';
import { JobLeases } from './jobs/job-leases.js';
import { JobScheduleRepository } from './jobs/job-schedule.repository.js';
import { JobScheduler } from './jobs/job-scheduler.js';
import { JobWorkerRepository } from './jobs/job-worker.repository.js';
import type { JobKind } from './jobs/job-kind.js';
import { workerPruneJob } from './jobs/periodic-job.js';
import { SyncService } from './sync/sync.service.js';
import { closeUpstreamDispatchers, createUpstreamPolicy } from './upstream/http-client.js';

export const VERSION = '0.1.0';
export const USER_AGENT = `Charthouse/${VERSION}`;

export interface App {
  http: Http;
  storage: Storage;
  /** Set when this start created the administrator with a generated password (print it once). */
  generatedAdminPassword: string | null;
  listen(): Promise<string>;
  /** Runs the hosted registry's janitor at once, as if the time were `now` (maintenance, tests). */
  sweep(now?: number): Promise<void>;
  close(): Promise<void>;
}

/** Wire storage, services and HTTP from a parsed configuration. Migrates and bootstraps on the way. */
export async function createApp(config: Readonly<Config>, logger: Logger): Promise<App> {
  const storageOptions = {
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    timeoutMs: config.databaseTimeoutMs,
  };
  const storage = openStorage(storageOptions);
  try {
    const applied = await migrateToLatest(storage);
    // Under the migration lock: of servers starting together on a new database, one applies them all.
    logger.info(
      { applied: applied.length, ...(applied.length > 0 ? { first: applied[0], last: applied.at(-1) } : {}) },
      applied.length > 0 ? 'database migrated' : 'database schema current',
    );
  } catch (err) {
    await storage.close();
    throw err;
  }
  const { key, created } = loadOrCreateKey(config.secretKey, config.secretKeyFile);
  if (created)
    logger.info({ file: config.secretKeyFile }, 'created a new secret key file (mode 0600); back it up');

  const users = new UserRepository(storage.db);
  const accessChanges = new AccessChanges();
  const auth = new AuthService(
    users,
    config.sessionTtlMinutes,
    new SignInLimiter(config.loginRateLimitPerMinute),
    accessChanges,
  );
  const tenantRows = new TenantRepository(storage.db);
  const tenants = new TenantService(tenantRows, accessChanges);
  const members = new MemberService(tenantRows, new InvitationRepository(storage.db), users, accessChanges);
  const accessRelay = relayAccessChanges(accessChanges, storage, config, logger);
  const secrets = new SecretBox(key);
  const upstreamPolicy = createUpstreamPolicy({
    allowPrivateEndpoints: config.allowPrivateEndpoints,
    timeoutMs: config.upstreamTimeoutMs,
    idleTimeoutMs: config.upstreamIdleTimeoutMs,
    userAgent: USER_AGENT,
  });
  const registryRepository = new RegistryRepository(storage.db);
  // One pool of index threads: syncs parse and write in it, and a registry's validation reads its index
  // there too, so that adding a big repository neither stalls every request nor grows this heap.
  const indexWorkers = new IndexWorkerPool();
  const registries = new RegistryService(registryRepository, secrets, {
    logger: logger.child({ component: 'registries' }),
    upstreamPolicy,
    maxIndexBytes: config.maxIndexBytes,
    rowsStamp: storage.registryRows,
    readIndex: (body) => indexWorkers.summarize(body),
  });
  const runs = new SyncRunRepository(storage.db);
  const state = new SyncStateRepository(storage.db);
  const leaseRows = new JobLeaseRepository(storage.db, storage.dialect);
  // Read at each scrape: `leases` is set below, long before the first one.
  const metrics = createMetrics({
    node: { id: config.nodeId, version: VERSION, database: storage.dialect },
    jobsRunning: () => leases.running(),
    leaseHoldings: () => leases.holdings(),
    poolStats: () => storage.poolStats(),
    logger: logger.child({ component: 'metrics' }),
  });
  const leases = new JobLeases({
    workers: new JobWorkerRepository(storage.db, storage.dialect),
    leases: leaseRows,
    heartbeatMs: config.jobsHeartbeatSeconds * 1000,
    logger: logger.child({ component: 'jobs' }),
    node: config.nodeId,
    observe: (e) => metrics.jobs.jobRun(e),
  });
  await leases.start();
  const versions = new ChartVersionRepository(storage.db, storage.dialect);
  const catalogWriter = new CatalogWriter(storage.db, versions);
  const engine = new SyncEngine({
    observe: (e) => {
      metrics.syncDuration.observe({ kind: e.kind, outcome: e.outcome }, e.seconds);
      metrics.syncVersions.inc({ change: 'added' }, e.added);
      metrics.syncVersions.inc({ change: 'updated' }, e.updated);
      metrics.syncVersions.inc({ change: 'removed' }, e.removed);
    },
    storage,
    storageOptions,
    versions,
    catalog: catalogWriter,
    runs,
    state,
    leases,
    leaseRows,
    secrets,
    policy: upstreamPolicy,
    maxIndexBytes: config.maxIndexBytes,
    logger: logger.child({ component: 'sync' }),
    indexWorkers,
  });
  const sync = new SyncService(registries, runs, engine, logger.child({ component: 'sync' }));
  const chartFiles = new ChartFilesService({
    repository: new ChartFilesRepository(storage.db),
    secrets,
    policy: upstreamPolicy,
    logger: logger.child({ component: 'chart-files' }),
  });
  const catalogRows = new CatalogRepository(storage.db);
  const catalog = new CatalogService(registries, registryRepository, catalogRows, chartFiles);
  const icons = new IconService({
    catalog,
    repository: new IconRepository(storage.db),
    fetcher: new IconFetcher({ policy: upstreamPolicy }),
    logger: logger.child({ component: 'icons' }),
  });
  const hostedRepo = new HostedRepository(storage.db);
  const ociRepo = new OciRepository(storage.db);
  const blobs = openBlobStore(storage, config.dataDir);
  const publisher = new ChartPublisher(
    storage.db,
    hostedRepo,
    ociRepo,
    blobs,
    catalogWriter,
    new ChartFilesRepository(storage.db),
  );
  const hostedAccess = new HostedAccess(auth, tenants, tenantRows, hostedRepo, key, accessChanges);
  const hosted = new HostedService({
    access: hostedAccess,
    charts: publisher,
    oci: new OciRegistry(
      hostedRepo,
      ociRepo,
      blobs,
      publisher,
      hostedAccess,
      logger.child({ component: 'oci' }),
    ),
    index: new HostedIndexCache(
      hostedRepo,
      config.publicUrl === null ? '' : new URL(config.publicUrl).pathname.replace(/\/+$/, ''),
    ),
    repository: hostedRepo,
    blobs,
    garbage: new HostedGarbageCollector(hostedRepo, ociRepo, blobs, logger.child({ component: 'hosted-gc' })),
    registries: registryRepository,
    publicUrl: config.publicUrl,
    logger: logger.child({ component: 'hosted' }),
  });
  publisher.onChange = (change) => {
    if (change.kind === 'push') metrics.hostedPushes.inc({ via: change.via, outcome: change.outcome });
    else metrics.hostedDeletions.inc();
  };
  await hosted.provisionAll();
  tenants.onCreated = (tenant) => hosted.provision(tenant.id, tenant.name);
  const planner = new ProfilePlanner({
    catalog: catalogRows,
    catalogStamps: (ids) => registryRepository.catalogStamps(ids),
    secrets,
    hostedUrls: (baseUrl, slug) => hosted.urls(baseUrl, slug),
  });
  const profiles = new ProfileService({
    profiles: new ProfileRepository(storage.db),
    checker: new LayerChecker({
      registries,
      catalog: catalogRows,
      chartFiles,
      schemas: new ValuesSchemaValidator(),
    }),
    catalog: catalogRows,
    secrets,
    hostedManifest: (registryId, chart, version) => hosted.manifestDigest(registryId, chart, version),
    planner,
  });
  const clusterRows = new ClusterRepository(storage.db);
  const plans = new ClusterPlans(
    clusterRows,
    new AgentPlanBuilder({
      planner,
      published: (tenantId, ref, version) => profiles.publishedVersion(tenantId, ref, version),
      verifications: (ids) => clusterRows.verifications(ids),
      registries: (ids) => registryRepository.findByIds(ids),
      secrets,
    }),
  );
  const agents = new AgentService({
    clusters: clusterRows,
    tenants: tenantRows,
    plans,
    files: agentArchives(
      hosted,
      syncedArchiveFetcher({
        registries: (ids) => registryRepository.findByIds(ids),
        secrets,
        policy: upstreamPolicy,
      }),
    ),
  });
  const clusters = new ClusterService({
    clusters: clusterRows,
    plans,
    profiles,
    secrets,
    addressPolicy: { allowPrivateEndpoints: config.allowPrivateEndpoints },
    tokenRevoked: (hash) => agents.revoke(hash),
  });
  profiles.usage = (tenantId, profileId) => clusters.usage(tenantId, profileId);
  const {
    discovery,
    adoption,
    kubeDiscovery,
    jobs: discoveryJobs,
  } = discoveryServices({
    db: storage.db,
    clusters: clusterRows,
    leases,
    secrets,
    registries: registryRepository,
    catalogRegistries: (tenantId) => registries.visibleForCatalog(tenantId),
    chartFiles,
    hosted,
    profiles,
    allowPrivateEndpoints: config.allowPrivateEndpoints,
    userAgent: USER_AGENT,
    // A process kept out of scheduled syncs is kept out of scheduled discoveries too.
    scheduleEveryMs: config.syncScheduler ? config.discoveryIntervalHours * 3_600_000 : 0,
    logger: logger.child({ component: 'discovery' }),
  });
  const schedule = new JobScheduleRepository(storage.db);
  const jobsLog = logger.child({ component: 'jobs' });
  const kinds: JobKind[] = [
    hostedSweepJob({ sweep: (now) => hosted.sweep(now), leases, schedule, logger: jobsLog }),
    workerPruneJob({ leases, schedule, logger: jobsLog }),
  ];
  // Off (CHARTHOUSE_SYNC_SCHEDULER=false), this process syncs only on "Sync now".
  if (config.syncScheduler) {
    kinds.push(new RegistrySyncJobs({ engine, state, runs, leases }));
    // A new registry's first sync starts at once rather than at the next look (up to a tick later).
    registries.onCreated = (row) => sync.startFirst(row);
  }
  if (discoveryJobs) kinds.push(discoveryJobs);
  const scheduler = new JobScheduler({ kinds, tickMs: config.jobsTickSeconds * 1000, logger: jobsLog });
  // Syncs and discoveries also run when asked ("Sync now"), on a server that schedules none.
  metrics.jobs.declareJobKinds(new Set([...kinds.map((k) => k.name), REGISTRY_SYNC, CLUSTER_DISCOVERY]));
  const { generatedPassword } = await auth.bootstrapAdmin(config.adminUsername, config.adminPassword);
  await auth.pruneExpiredTokens();
  await members.pruneExpiredInvitations();

  const lifecycle = new ServerLifecycle();
  const services: AppServices = {
    config,
    logger,
    storage,
    lifecycle,
    auth,
    tenants,
    members,
    registries,
    sync,
    catalog,
    hosted,
    icons,
    profiles,
    clusters,
    agents,
    discovery,
    adoption,
  };
  const http = await buildServer(services, metrics);
  let closing: Promise<void> | undefined;

  return {
    http,
    storage,
    generatedAdminPassword: generatedPassword,
    listen: async () => {
      const address = await http.listen({ port: config.port, host: config.host });
      scheduler.start();
      return address;
    },
    sweep: (now) => hosted.sweep(now),
    // Once, however often it is asked (SIGTERM then SIGINT, a test's own close after the drain).
    close: () =>
      (closing ??= (async () => {
        await drain(
          http,
          lifecycle,
          {
            stopJobs: () => scheduler.stop(0),
            jobsIdle: async () => {
              await Promise.all([scheduler.idle(), engine.idle(), kubeDiscovery.idle()]);
            },
            jobsRunning: () => ({
              syncs: engine.runningCount,
              discoveries: kubeDiscovery.runningCount,
              scheduledJobs: scheduler.runningCount,
            }),
            interruptJobs: async (graceMs) => {
              // Index workers ended; the syncs get a moment to record themselves interrupted.
              await engine.close(graceMs);
              await kubeDiscovery.close();
            },
            // What is still held goes back now, so another server takes the work over at once instead
            // of after three missed heartbeats.
            release: () => leases.close(),
          },
          logger,
        );
        await closeUpstreamDispatchers();
        await accessRelay?.close();
        await storage.close();
      })()),
  };
}

/**
 * With PostgreSQL, several servers may share the database: a revocation or a removed member made on one
 * must reach the others' caches at once too, over LISTEN/NOTIFY. While that link is down, a change may
 * be missed, so on every (re)connection each cache starts over. SQLite has one server: nothing to relay.
 */
function relayAccessChanges(
  changes: AccessChanges,
  storage: Storage,
  config: Readonly<Config>,
  logger: Logger,
): NotifyChannel | null {
  if (storage.dialect !== 'postgres' || config.databaseUrl === null) return null;
  const log = logger.child({ component: 'access-relay' });
  let receive: (message: string) => void = () => undefined;
  const channel = openPgNotifyChannel({
    db: storage.db,
    databaseUrl: config.databaseUrl,
    channel: 'charthouse_access',
    onMessage: (message) => receive(message),
    onConnected: () => changes.deliver({ kind: 'everything' }),
    onError: (err) => log.warn({ err }, 'the link to the other servers dropped; reconnecting'),
  });
  receive = changes.relay({
    send: (message) => channel.publish(message),
    onSendError: (err) =>
      log.warn(
        { err },
        'could not tell the other servers of an access change; their caches expire within 5 s',
      ),
  });
  return channel;
}
