import { ApiClient, ApiError, type AgentPlan } from '../client/api-client.js';
import { closeUpstreamDispatchers } from '../upstream/http-client.js';
import { discoverReleases } from './agent-discover.js';
import { ArchiveCache } from './archive-cache.js';
import { runPlan, type ApplySettings, type RunOutcome } from './agent-run.js';
import { backoffMs, jitteredInterval } from './backoff.js';
import { AGENT_VERSION } from './layer-pull.js';
import { PlanStore } from './plan-store.js';
import type { Keyring } from './provenance.js';

export interface AgentSettings {
  server: string;
  token: string;
  workDir: string;
  keyring: Keyring | null;
  apply: ApplySettings | null;
  /** The cluster's kubeconfig (a path), for discoveries the server asks for; null when not given. */
  kubeconfig: string | null;
  /** Discover the cluster's releases once at start, unasked (`--discover`). */
  discover?: boolean;
  /** Run the plan once and exit; otherwise poll every `intervalMs`. */
  once: boolean;
  intervalMs: number;
  /** Attempts to reach the server before `--once` gives up (the loop never gives up). */
  onceAttempts?: number;
  backoff?: { baseMs: number; maxMs: number };
  log: (line: string) => void;
  signal?: AbortSignal;
}

/** The agent stopped for a reason retrying cannot fix (a refused token). */
export class AgentStoppedError extends Error {
  override readonly name = 'AgentStoppedError';
}

/** What `--once` came to: whether every layer ended as it should (verified, or installed with --apply). */
export interface OnceResult {
  outcome: RunOutcome;
  ok: boolean;
}

const isTransient = (err: unknown): boolean =>
  err instanceof ApiError && (err.status === 0 || err.status === 429 || err.status >= 500);

/**
 * The agent's loop (SPEC §2): heartbeat, fetch the plan (a 304 when nothing changed), run it, repeat.
 * The server unreachable or failing: retry with exponential backoff and full jitter, keeping the last
 * plan (on disk: a restart does not lose it). The plan changed during a run: the current layer
 * finishes, then the new plan is fetched at once. The token refused (rotated, cluster deleted): stop
 * with a message that says so; retrying cannot help and would only hammer the server.
 */
export async function runAgent(s: AgentSettings): Promise<OnceResult | null> {
  try {
    return await loop(s);
  } finally {
    // Kept-alive connections to registries would otherwise hold the process open after --once.
    await closeUpstreamDispatchers();
  }
}

async function loop(s: AgentSettings): Promise<OnceResult | null> {
  const api = new ApiClient({ baseUrl: s.server, token: s.token, timeoutMs: 30_000 });
  const cache = await ArchiveCache.open(s.workDir);
  const store = new PlanStore(s.workDir);
  let last = await store.load();
  const backoff = s.backoff ?? { baseMs: 1_000, maxMs: 60_000 };
  let failures = 0;
  let lastOutcome: RunOutcome | null = null;
  // Discoveries answered: the heartbeat keeps asking for a few seconds after the last post (the
  // server caches the cluster row), and one answer per run is enough.
  const answered = new Set<string>();
  let discoverUnasked = s.discover === true;

  const planChanged = async (): Promise<boolean> => {
    try {
      return !(await api.agent.plan(last?.etag)).notModified;
    } catch {
      // Unreachable mid-run: carry on with the plan in hand; the next poll decides.
      return false;
    }
  };

  for (;;) {
    if (s.signal?.aborted) return null;
    let plan: AgentPlan;
    try {
      const beat = await api.agent.heartbeat({
        agentVersion: AGENT_VERSION,
        ...(last ? { planRevision: last.plan.revision } : {}),
      });
      if (beat.discovery !== null && !answered.has(beat.discovery.run)) {
        s.log(`the server asks for a discovery of the cluster's Helm releases (run ${beat.discovery.run})`);
        await discoverReleases(api, beat.discovery, s.kubeconfig, s.log);
        answered.add(beat.discovery.run);
        discoverUnasked = false;
      } else if (discoverUnasked) {
        await discoverReleases(api, { run: null, namespaces: null }, s.kubeconfig, s.log);
        discoverUnasked = false;
      }
      const answer = await api.agent.plan(last?.etag);
      if (answer.notModified) {
        plan = last!.plan;
      } else {
        last = { plan: answer.plan, etag: answer.etag };
        await store.save(last);
        plan = answer.plan;
        s.log(
          `plan revision ${plan.revision}: ${plan.profiles.map((p) => `${p.profile} ${p.version}`).join(', ') || 'nothing assigned'}`,
        );
      }
      // Nothing changed and the last run ended well: nothing to do until the next poll.
      const unchanged =
        answer.notModified &&
        lastOutcome !== null &&
        lastOutcome.revision === plan.revision &&
        allGood(lastOutcome, s.apply !== null);
      if (!unchanged) {
        lastOutcome = await runPlan(plan, {
          api,
          cache,
          keyring: s.keyring,
          workDir: s.workDir,
          apply: s.apply,
          planChanged,
          log: s.log,
        });
        if (lastOutcome.replan) {
          s.log('the plan changed during the run: fetching the new one');
          continue;
        }
      }
      failures = 0;
      if (s.once) return { outcome: lastOutcome!, ok: allGood(lastOutcome!, s.apply !== null) };
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        // The server's own message says the same in API terms; this one says what to run.
        throw new AgentStoppedError(
          "The server refused the agent token: it was rotated, or its cluster was deleted. Get a new token (the cluster's page in the console, or `charthouse cluster rotate-token NAME --token-file FILE`) and start the agent again.",
        );
      }
      if (!isTransient(err)) throw err;
      failures += 1;
      const wait = backoffMs(failures - 1, backoff.baseMs, backoff.maxMs);
      s.log(
        `${err instanceof Error ? err.message : String(err)}: retrying in ${(wait / 1000).toFixed(1)} s${last ? ` (keeping plan revision ${last.plan.revision})` : ''}`,
      );
      if (s.once && failures >= (s.onceAttempts ?? 5)) {
        throw new AgentStoppedError(
          `Gave up after ${failures} attempts: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
      await sleep(wait, s.signal);
      continue;
    }
    await sleep(jitteredInterval(s.intervalMs), s.signal);
  }
}

function allGood(outcome: RunOutcome, applied: boolean): boolean {
  return [...outcome.layers.values()].every((l) => l.state === (applied ? 'installed' : 'verified'));
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
