import type { Readable } from 'node:stream';
import type { Principal, Scope } from '../shared/context.js';
import { NotFoundError } from '../shared/errors.js';
import { hashToken, newId, nowIso } from '../shared/ids.js';
import { TtlCache } from '../shared/ttl-cache.js';
import type { TenantRepository } from '../tenants/tenant.repository.js';
import type { PlannedLayer } from './agent-plan.js';
import { AGENT_TOKEN_PATTERN } from './agent-token.js';
import type {
  AgentHeartbeatBody,
  AgentReportAccepted,
  AgentReportBody,
  LayerReport,
  AgentHeartbeatReply,
} from './agent.schema.js';
import { agentTokenRefused, ReportInvalidError } from './cluster-errors.js';
import type { ClusterPlans, CurrentPlan } from './cluster-plans.js';
import type { ClusterRepository, ClusterRow, LayerStateRow } from './cluster.repository.js';

/** A file the agent downloads from this server: a layer's archive or its `.prov`. */
export interface AgentFile {
  size: number | null;
  contentType: string;
  open: () => Promise<Readable>;
}

/** Where archives of hosted and synced registries come from (clusters/agent-archives.ts). */
export type AgentFileSource = (layer: PlannedLayer, kind: 'chart' | 'provenance') => Promise<AgentFile>;

export interface AgentServiceDeps {
  clusters: ClusterRepository;
  tenants: TenantRepository;
  plans: ClusterPlans;
  files: AgentFileSource;
}

/** An agent's cluster, found by its token, with the tenant scope its plan is built in. */
export interface AgentCaller {
  cluster: ClusterRow;
  scope: Scope & { kind: 'tenant' };
}

/** How often a heartbeat is written at most (see heartbeat). */
const HEARTBEAT_WRITE_MS = 60_000;

/** How long a token, once found, is trusted without asking the database (rotation reaches other processes within it). */
const TOKEN_CACHE_MS = 5_000;

/**
 * The agent's side (SPEC §3 `/api/v1/agent/*`): a token names exactly one cluster, and every call
 * works on that cluster only; there is no path parameter that could name another. Its plan with a
 * strong ETag (a poll that changed nothing is a 304 after a few indexed reads), its reports (a report
 * for an older plan revision is kept as stale and changes no state), its heartbeat, and the archives
 * its plan pulls through Charthouse.
 */
export class AgentService {
  private readonly tokens = new TtlCache<string>(TOKEN_CACHE_MS, 10_000);
  private readonly tenantNames = new Map<string, string>();

  constructor(private readonly d: AgentServiceDeps) {}

  async authenticate(token: string): Promise<AgentCaller> {
    if (!AGENT_TOKEN_PATTERN.test(token)) throw agentTokenRefused();
    const hash = hashToken(token);
    const id = this.tokens.get(hash);
    const cluster =
      id === undefined ? await this.d.clusters.findByTokenHash(hash) : await this.d.clusters.findById(id);
    // A cached id whose row now has another token (rotated in another process) is refused too.
    if (!cluster || cluster.token_hash !== hash || cluster.mode !== 'agent') {
      this.tokens.delete(hash);
      throw agentTokenRefused();
    }
    this.tokens.set(hash, cluster.id);
    return { cluster, scope: await this.scopeOf(cluster) };
  }

  /**
   * An agent reading the people's resolve of a profile (SPEC §3: resolve is for members or the agent):
   * only in its own tenant, only a profile assigned to its cluster; anything else is the same 404 as a
   * profile that does not exist. The context acts as a member: it reads, it never writes.
   */
  async resolveContext(
    token: string,
    tenant: string,
    profile: string,
    baseUrl: string,
  ): Promise<{ principal: Principal; scope: Scope & { kind: 'tenant' } }> {
    const caller = await this.authenticate(token);
    if (caller.scope.tenantName !== tenant) throw new NotFoundError('Tenant', tenant);
    const plan = await this.d.plans.current(caller.scope, caller.cluster, baseUrl);
    if (!plan.built.content.profiles.some((p) => p.profile === profile)) {
      throw new NotFoundError('Cluster profile', profile);
    }
    const { cluster } = caller;
    return {
      principal: { userId: `agent:${cluster.id}`, username: `agent:${cluster.name}`, isSystemAdmin: false },
      scope: caller.scope,
    };
  }

  /** Forgets a token at once (its cluster rotated it or was deleted). */
  revoke(tokenHash: string): void {
    this.tokens.delete(tokenHash);
  }

  /** The plan, or `null` when `ifNoneMatch` names it (a 304). */
  async plan(
    caller: AgentCaller,
    baseUrl: string,
    ifNoneMatch: string | undefined,
  ): Promise<CurrentPlan | null> {
    const plan = await this.d.plans.current(caller.scope, caller.cluster, baseUrl);
    if (ifNoneMatch !== undefined && etagMatches(ifNoneMatch, plan.etag)) return null;
    await this.d.plans.markDelivered(caller.cluster, plan.revision);
    return plan;
  }

  /**
   * Records that the agent is alive. A heartbeat within {@link HEARTBEAT_WRITE_MS} of the recorded one
   * (same agent version) writes nothing: "disconnected" means ten minutes without one, so a write per
   * minute is plenty, and a thousand agents beating every 30 s then cost half the commits.
   */
  /**
   * Records that the agent is alive, and answers with the discovery its cluster asks for, if any
   * ("Discover now" on an agent cluster): the cluster row is read here anyway, so 1,000 agents learn
   * of a request without one more request each (within the 5 s the row is cached).
   */
  async heartbeat(caller: AgentCaller, body: AgentHeartbeatBody): Promise<AgentHeartbeatReply> {
    const { cluster } = caller;
    const reply = { discovery: discoveryRequest(cluster.discovery_request) };
    const version = body.agentVersion ?? null;
    const last = cluster.last_heartbeat_at === null ? null : Date.parse(cluster.last_heartbeat_at);
    const fresh = last !== null && Date.now() - last < HEARTBEAT_WRITE_MS;
    if (fresh && (version === null || version === cluster.agent_version)) return reply;
    await this.d.clusters.heartbeat(cluster.id, nowIso(), version);
    return reply;
  }

  async report(caller: AgentCaller, body: AgentReportBody, baseUrl: string): Promise<AgentReportAccepted> {
    const plan = await this.d.plans.current(caller.scope, caller.cluster, baseUrl);
    if (body.planRevision > plan.revision) {
      throw new ReportInvalidError([
        {
          field: 'planRevision',
          message: `Plan revision ${body.planRevision} was never handed out: the cluster's plan is at revision ${plan.revision}. Fetch the plan again.`,
        },
      ]);
    }
    const stale = body.planRevision < plan.revision;
    const planned = new Map(plan.built.layers.map((l) => [`${l.profile}\u0000${l.layer.name}`, l]));
    const now = nowIso();
    const states: LayerStateRow[] = [];
    const problems = [];
    for (const [i, report] of body.layers.entries()) {
      const layer = planned.get(`${report.profile}\u0000${report.layer}`);
      if (!layer) {
        if (!stale) {
          problems.push({
            field: `layers[${i}]`,
            message: `Layer "${report.layer}" of profile "${report.profile}" is not in this cluster's plan (revision ${plan.revision}).`,
          });
        }
        continue;
      }
      if (!stale) states.push(await this.judge(caller.cluster, layer, report, body.planRevision, now));
    }
    if (problems.length > 0) throw new ReportInvalidError(problems);
    await this.d.clusters.recordReport(
      {
        id: newId(),
        cluster_id: caller.cluster.id,
        plan_revision: body.planRevision,
        stale: stale ? 1 : 0,
        body: JSON.stringify(body),
        received_at: now,
      },
      states,
    );
    return {
      stale,
      planRevision: plan.revision,
      layers: states.map((s) => ({ profile: s.profile_name, layer: s.layer_name, state: s.state })),
    };
  }

  /** A file of a layer in the cluster's current plan that is pulled through Charthouse. */
  async file(
    caller: AgentCaller,
    profile: string,
    layer: string,
    kind: 'chart' | 'provenance',
    baseUrl: string,
  ): Promise<AgentFile> {
    const plan = await this.d.plans.current(caller.scope, caller.cluster, baseUrl);
    const found = plan.built.layers.find((l) => l.profile === profile && l.layer.name === layer);
    if (!found || found.layer.pull.via !== 'charthouse') {
      throw new NotFoundError('Layer', `${profile}/${layer}`);
    }
    return this.d.files(found, kind);
  }

  /**
   * What the server records for one reported layer. The agent checks digests and Chart.yaml itself;
   * the server checks again what it can, and for a protected layer (never seen by the server) a
   * verified report records the digest on the profile version, where every other cluster's plan then
   * pins it. The first verified digest stands: a later agent that saw other bytes fails.
   */
  private async judge(
    cluster: ClusterRow,
    planned: PlannedLayer,
    report: LayerReport,
    planRevision: number,
    now: string,
  ): Promise<LayerStateRow> {
    let state: LayerStateRow['state'] = report.state;
    let reason = report.reason ?? null;
    const fail = (why: string): void => {
      state = 'failed';
      reason = why;
    };
    const { layer } = planned;
    const succeeded = report.state === 'verified' || report.state === 'installed';
    if (succeeded) {
      if (report.digest === undefined) fail('The agent reported success without the archive digest it saw.');
      else if (
        report.chart &&
        (report.chart.name !== layer.chart || report.chart.version !== layer.version)
      ) {
        fail(
          `The archive's Chart.yaml says ${report.chart.name} ${report.chart.version}, but the layer is ${layer.chart} ${layer.version}.`,
        );
      } else if (layer.digest !== null && report.digest !== layer.digest) {
        fail(`The archive's sha256 is ${report.digest}, but the plan pins ${layer.digest}.`);
      } else if (planned.locked.protected && layer.digest === null) {
        const stands = await this.d.clusters.verify({
          version_id: planned.versionId,
          layer_name: layer.name,
          digest: report.digest,
          cluster_id: cluster.id,
          verified_at: now,
        });
        if (stands.digest !== report.digest) {
          fail(
            `The archive's sha256 is ${report.digest}, but another agent verified ${stands.digest} for this profile version: the registry serves other bytes under ${layer.chart} ${layer.version}.`,
          );
        }
      }
    }
    return {
      cluster_id: cluster.id,
      profile_name: planned.profile,
      layer_name: layer.name,
      version: planned.profileVersion,
      state,
      reason,
      reference: report.reference ?? null,
      digest: report.digest ?? null,
      provenance:
        report.provenance === undefined
          ? null
          : [report.provenance.result, report.provenance.signer, report.provenance.reason]
              .filter(Boolean)
              .join(': '),
      release: report.release === undefined ? null : JSON.stringify(report.release),
      plan_revision: planRevision,
      reported_at: now,
    };
  }

  private async scopeOf(cluster: ClusterRow): Promise<Scope & { kind: 'tenant' }> {
    let name = this.tenantNames.get(cluster.tenant_id);
    if (name === undefined) {
      const tenant = await this.d.tenants.findById(cluster.tenant_id);
      if (!tenant) throw agentTokenRefused();
      name = tenant.name;
      this.tenantNames.set(cluster.tenant_id, name);
    }
    // The agent acts for its cluster only: it reads, it never administers the tenant.
    return { kind: 'tenant', tenantId: cluster.tenant_id, tenantName: name, role: 'member' };
  }
}

/** `If-None-Match` as RFC 9110 reads it: `*`, or a list of entity tags, weak ones compared weakly. */
function etagMatches(header: string, etag: string): boolean {
  if (header.trim() === '*') return true;
  return header.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}

function discoveryRequest(stored: string | null): AgentHeartbeatReply['discovery'] {
  if (stored === null) return null;
  try {
    const parsed = JSON.parse(stored) as { run?: unknown; namespaces?: unknown };
    if (typeof parsed.run !== 'string') return null;
    const namespaces = Array.isArray(parsed.namespaces)
      ? parsed.namespaces.filter((n): n is string => typeof n === 'string')
      : null;
    return { run: parsed.run, namespaces };
  } catch {
    return null;
  }
}
