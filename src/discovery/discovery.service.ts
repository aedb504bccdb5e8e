import type { Logger } from 'pino';
import type { ClusterRepository, ClusterRow } from '../clusters/cluster.repository.js';
import type { AgentCaller } from '../clusters/agent.service.js';
import type { DecodedRelease, DiscoveryWarning } from '../protocol/helm/release/release-record.js';
import { requireTenantAdmin, type RequestContext, type Scope } from '../shared/context.js';
import { InvalidRequestError, NotFoundError } from '../shared/errors.js';
import { newId, nowIso } from '../shared/ids.js';
import { MAX_PAGE_LIMIT } from '../shared/name-pages.js';
import type { DiscoveredReleaseRepository } from './discovered-release.repository.js';
import { DiscoveryRunClosedError, discoveryRunning } from './discovery-errors.js';
import { capWarnings, type DiscoveryRecorder } from './discovery-recorder.js';
import type { DiscoveryRunRepository, DiscoveryRunRow } from './discovery-run.repository.js';
import { toReleaseView, toRunView } from './discovery-view.js';
import type {
  AgentReleaseIn,
  AgentReleasesBody,
  AgentReleasesReply,
  DiscoverBody,
  DiscoverReply,
  DiscoveryRunList,
  ListQuery,
  ReleaseList,
  ReleaseListQuery,
} from './discovery.schema.js';
import type { ReleaseMatcher } from './release-matching.js';

export type TenantContext = RequestContext & { scope: Scope & { kind: 'tenant' } };

/** Decodes a payload the agent found (the same rules as the server's own scan). */
export type AgentReleaseDecoder = (release: AgentReleaseIn) => DecodedRelease;

/** Runs a discovery of a kubeconfig cluster in the background (kube-discovery.ts). */
export interface ServerDiscovery {
  /**
   * Starts the run (already recorded as running); `done` settles when it has ended, recorded. Null
   * when another process holds the cluster's lease.
   */
  start(cluster: ClusterRow, run: DiscoveryRunRow): Promise<{ done: Promise<void> } | null>;
}

export interface DiscoveryServiceDeps {
  clusters: ClusterRepository;
  runs: DiscoveryRunRepository;
  releases: DiscoveredReleaseRepository;
  recorder: DiscoveryRecorder;
  matcher: ReleaseMatcher;
  server: ServerDiscovery;
  decode: AgentReleaseDecoder;
  logger: Logger;
}

/** An agent that was asked to discover and never answered: its run fails after this long. */
const AGENT_ANSWER_MS = 60 * 60 * 1000;
/** An agent run with no post for this long was abandoned (the agent stopped mid-way). */
const AGENT_SILENCE_MS = 30 * 60 * 1000;
/** How long the matching of one run may spend fetching catalog archives' fingerprints. */
const WARM_BUDGET_MS = 60_000;

/**
 * Brownfield discovery (SPEC §2): "Discover now" for a cluster — run by the server through the
 * kubeconfig, or asked of the cluster's agent at its next heartbeat — the runs' records, the releases
 * of the newest finished run with the catalog versions they match, and the agent's posts.
 */
export class DiscoveryService {
  constructor(private readonly d: DiscoveryServiceDeps) {}

  async discover(ctx: TenantContext, clusterName: string, body: DiscoverBody): Promise<DiscoverReply> {
    requireTenantAdmin(ctx.scope, 'discover releases');
    const cluster = await this.cluster(ctx, clusterName);
    const open = await this.openRun(cluster);
    const namespaces = body.namespaces ? [...new Set(body.namespaces)].sort() : null;
    if (cluster.mode === 'agent') {
      // Asked again before the agent answered: the same request stands (one discovery at a time).
      if (open) return { run: toRunView(open) };
      const run = newRun(cluster.id, 'manual', 'requested', namespaces, ctx.principal.username);
      await this.d.runs.insert(run);
      await this.d.clusters.setDiscoveryRequest(cluster.id, JSON.stringify({ run: run.id, namespaces }));
      return { run: toRunView(run) };
    }
    const run = newRun(cluster.id, 'manual', 'running', namespaces, ctx.principal.username);
    const started = await this.startOnServer(cluster, run, open);
    if (!started) throw discoveryRunning(cluster.name, open?.id ?? 'on another server');
    return { run: toRunView(run) };
  }

  /** The scheduled discovery of a kubeconfig cluster (discovery-jobs.ts); resolves when it has ended. */
  async scheduled(clusterId: string): Promise<void> {
    const cluster = await this.d.clusters.findById(clusterId);
    if (!cluster || cluster.mode !== 'kubeconfig') return;
    const run = newRun(cluster.id, 'schedule', 'running', null, null);
    const started = await this.startOnServer(cluster, run, await this.d.runs.open(cluster.id));
    await started?.done;
  }

  private async startOnServer(
    cluster: ClusterRow,
    run: DiscoveryRunRow,
    open: DiscoveryRunRow | undefined,
  ): Promise<{ done: Promise<void> } | null> {
    await this.d.runs.insert(run);
    const started = await this.d.server.start(cluster, run);
    if (!started) {
      await this.d.recorder.fail(run, {
        code: 'discovery_running',
        message: 'Another discovery of this cluster was under way.',
      });
      return null;
    }
    // The lease was free, so a run still open was left by a server that stopped mid-way.
    if (open) {
      await this.d.recorder.fail(open, {
        code: 'interrupted',
        message: 'The server running this discovery stopped before it finished.',
      });
    }
    return started;
  }

  async runs(ctx: TenantContext, clusterName: string, query: ListQuery): Promise<DiscoveryRunList> {
    const cluster = await this.cluster(ctx, clusterName);
    await this.openRun(cluster);
    const { limit, after } = pageOf(query, (text) => {
      const [requestedAt, id] = text.split('|');
      return requestedAt && id ? { requestedAt, id } : null;
    });
    const rows = await this.d.runs.list(cluster.id, limit + 1, after);
    const last = rows[limit - 1];
    return {
      items: rows.slice(0, limit).map(toRunView),
      ...(rows.length > limit && last ? { nextCursor: cursorOf(`${last.requested_at}|${last.id}`) } : {}),
    };
  }

  async releases(ctx: TenantContext, clusterName: string, query: ReleaseListQuery): Promise<ReleaseList> {
    const cluster = await this.cluster(ctx, clusterName);
    const run = await this.d.runs.current(cluster.id);
    if (!run) return { items: [], run: null };
    const { limit, after } = pageOf(query, (text) => {
      const at = text.indexOf('/');
      return at > 0 ? { namespace: text.slice(0, at), name: text.slice(at + 1) } : null;
    });
    const rows = await this.d.releases.list(run.id, limit + 1, {
      ...(after ? { after } : {}),
      ...(query.namespace === undefined ? {} : { namespace: query.namespace }),
      ...(query.q === undefined ? {} : { q: query.q }),
    });
    const page = rows.slice(0, limit);
    const matches = await this.d.matcher.matches(cluster.tenant_id, page);
    const last = page[limit - 1];
    return {
      items: page.map((r) => toReleaseView(r, matches.get(r.id) ?? [])),
      ...(rows.length > limit && last ? { nextCursor: cursorOf(`${last.namespace}/${last.name}`) } : {}),
      run: toRunView(run),
    };
  }

  /**
   * A post of the agent: releases of the run its heartbeat asked for (or of a run it starts itself),
   * decoded and judged here with the server's own rules, as if the server had read them.
   */
  async agentReleases(caller: AgentCaller, body: AgentReleasesBody): Promise<AgentReleasesReply> {
    const { cluster } = caller;
    const run = await this.agentRun(cluster, body.run);
    const decoded: DecodedRelease[] = [];
    const warnings: DiscoveryWarning[] = [...(body.warnings ?? [])];
    for (const release of body.releases) {
      try {
        decoded.push(this.d.decode(release));
      } catch (err) {
        warnings.push({
          code: (err as { code?: string }).code ?? 'invalid_release',
          message: err instanceof Error ? err.message : String(err),
          namespace: release.namespace,
          object: release.object,
        });
      }
    }
    await this.d.recorder.store(cluster, run.id, decoded);
    const kept = [...(JSON.parse(run.warnings) as DiscoveryWarning[]), ...warnings];
    if (body.error) {
      await this.d.recorder.fail(run, body.error, kept);
      await this.d.clusters.setDiscoveryRequest(cluster.id, null, run.id);
    } else if (body.done) {
      const stored = await this.d.releases.all(run.id);
      const matched = await this.d.matcher.warm(cluster.tenant_id, stored, Date.now() + WARM_BUDGET_MS);
      await this.d.recorder.succeed(cluster, run, {
        objects: body.objects ?? run.objects,
        warnings: kept,
        matched,
      });
      await this.d.clusters.setDiscoveryRequest(cluster.id, null, run.id);
    } else {
      await this.d.runs.update(run.id, ['running'], {
        objects: body.objects ?? run.objects,
        warnings: JSON.stringify(capWarnings(kept)),
      });
    }
    return { run: run.id, accepted: decoded.length, rejected: body.releases.length - decoded.length };
  }

  private async agentRun(cluster: ClusterRow, runId: string | null): Promise<DiscoveryRunRow> {
    if (runId === null) {
      const open = await this.d.runs.open(cluster.id);
      if (open?.status === 'running') throw discoveryRunning(cluster.name, open.id);
      const run = newRun(cluster.id, 'agent', 'running', null, null);
      await this.d.runs.insert(run);
      return run;
    }
    // Another cluster's run is not found, like any other tenant's object.
    const run = await this.d.runs.find(cluster.id, runId);
    if (!run) throw new NotFoundError('Discovery run', runId);
    if (run.status === 'requested') {
      const started = nowIso();
      await this.d.runs.update(run.id, ['requested'], { status: 'running', started_at: started });
      return { ...run, status: 'running', started_at: started };
    }
    if (run.status !== 'running') throw new DiscoveryRunClosedError(run.id, `it ended (${run.status}).`);
    return run;
  }

  /**
   * The cluster's open run, if any, after failing an agent cluster's run its agent never answered, or
   * stopped answering (then there is none).
   */
  private async openRun(cluster: ClusterRow): Promise<DiscoveryRunRow | undefined> {
    const open = await this.d.runs.open(cluster.id);
    if (!open || cluster.mode !== 'agent') return open;
    const now = Date.now();
    const waited =
      open.status === 'requested'
        ? now - Date.parse(open.requested_at) > AGENT_ANSWER_MS
        : now - Date.parse(open.started_at ?? open.requested_at) > AGENT_SILENCE_MS;
    if (!waited) return open;
    await this.d.recorder.fail(open, {
      code: 'agent_silent',
      message:
        open.status === 'requested'
          ? 'The agent did not take up the discovery within an hour: check that it runs, with --kubeconfig.'
          : 'The agent stopped sending releases mid-way: see its log, then discover again.',
    });
    await this.d.clusters.setDiscoveryRequest(cluster.id, null, open.id);
    return undefined;
  }

  private async cluster(ctx: TenantContext, name: string): Promise<ClusterRow> {
    const row = await this.d.clusters.find(ctx.scope.tenantId, name);
    if (!row) throw new NotFoundError('Cluster', name);
    return row;
  }
}

function pageOf<T>(
  query: { limit?: string; cursor?: string },
  parse: (text: string) => T | null,
): { limit: number; after?: T } {
  const limit = query.limit === undefined ? 100 : Number(query.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_LIMIT) {
    throw new InvalidRequestError(`limit must be between 1 and ${MAX_PAGE_LIMIT}.`, [
      { field: 'limit', message: 'out of range' },
    ]);
  }
  if (query.cursor === undefined) return { limit };
  const after = parse(Buffer.from(query.cursor, 'base64url').toString('utf8'));
  if (after === null) {
    throw new InvalidRequestError('cursor is not one this server handed out: start again without it.', [
      { field: 'cursor', message: 'invalid' },
    ]);
  }
  return { limit, after };
}

const cursorOf = (text: string): string => Buffer.from(text, 'utf8').toString('base64url');

function newRun(
  clusterId: string,
  trigger: DiscoveryRunRow['trigger'],
  status: 'requested' | 'running',
  namespaces: string[] | null,
  requestedBy: string | null,
): DiscoveryRunRow {
  const now = nowIso();
  return {
    id: newId(),
    cluster_id: clusterId,
    trigger,
    status,
    namespaces: namespaces === null ? null : JSON.stringify(namespaces),
    requested_by: requestedBy,
    requested_at: now,
    started_at: status === 'running' ? now : null,
    finished_at: null,
    objects: 0,
    releases: 0,
    helm2: 0,
    matched: 0,
    warnings: '[]',
    error: null,
    error_code: null,
  };
}
