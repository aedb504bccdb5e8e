import type { AgentPlan, AgentPlanLayer, ApiClient, LayerReport } from '../client/api-client.js';
import type { ArchiveCache } from './archive-cache.js';
import { applyHelmLayers, type AppliedLayer, type HelmLayer } from './helm-apply.js';
import { LayerPullError, pullLayer, type PulledLayer } from './layer-pull.js';
import type { Keyring } from './provenance.js';

/** Installing with helm (`--apply`): the binary and the cluster's kubeconfig. */
export interface ApplySettings {
  helm: string;
  kubeconfig: string;
  timeoutMs?: number;
}

export interface RunSettings {
  api: ApiClient;
  cache: ArchiveCache;
  keyring: Keyring | null;
  workDir: string;
  apply: ApplySettings | null;
  /** True when the server's plan is no longer the one being run (checked between helm installs). */
  planChanged: () => Promise<boolean>;
  log: (line: string) => void;
}

/** What one run of a plan came to, per layer (`profile/layer`). */
export interface RunOutcome {
  revision: number;
  layers: Map<string, { state: LayerReport['state']; reason?: string }>;
  /** The plan changed during the run: the current layer finished, the rest waits for the new plan. */
  replan: boolean;
}

const keyOf = (profile: string, layer: string): string => `${profile}/${layer}`;

/**
 * One run of a plan (SPEC §2 "the agent"): pull and verify every layer, report each; with `--apply`,
 * install the verified archives in install order with helm and report each release. A layer whose pull
 * failed is never installed, and neither is anything that depends on it. Reports go out as each phase
 * ends and as each release finishes, so the console shows progress during a long install.
 */
export async function runPlan(plan: AgentPlan, s: RunSettings): Promise<RunOutcome> {
  const outcome: RunOutcome = { revision: plan.revision, layers: new Map(), replan: false };
  const pulled = new Map<string, PulledLayer>();
  for (const profile of plan.profiles) {
    const reports: LayerReport[] = [];
    for (const layer of profile.layers) {
      const key = keyOf(profile.profile, layer.name);
      try {
        const got = await pullLayer(layer, plan, { api: s.api, cache: s.cache, keyring: s.keyring });
        pulled.set(key, got);
        outcome.layers.set(key, { state: 'verified' });
        // With --apply the layer's next word is its install: a `verified` now would show an installed
        // release as merely verified until helm finishes (or for good, if the run stops first).
        if (s.apply === null)
          reports.push({
            profile: profile.profile,
            layer: layer.name,
            state: 'verified',
            reference: got.reference,
            digest: got.digest,
            chart: got.chart,
            provenance: got.provenance,
          });
        s.log(
          `${key}: ${got.chart.name} ${got.chart.version} verified (${got.digest.slice(0, 19)}…${got.cached ? ', cached' : ''})`,
        );
      } catch (err) {
        const reason =
          err instanceof LayerPullError ? err.reason : `pulling failed unexpectedly: ${String(err)}`;
        outcome.layers.set(key, { state: 'failed', reason });
        reports.push({
          profile: profile.profile,
          layer: layer.name,
          state: 'failed',
          reason,
          ...(err instanceof LayerPullError && err.reference !== undefined
            ? { reference: err.reference }
            : {}),
        });
        s.log(`${key}: failed: ${reason}`);
      }
    }
    if (reports.length > 0) await s.api.agent.report({ planRevision: plan.revision, layers: reports });
  }
  if (s.apply === null) return outcome;

  const helmLayers: HelmLayer[] = [];
  const blocked: LayerReport[] = [];
  for (const profile of plan.profiles) {
    const failed = new Map<string, string>();
    for (const layer of profile.layers) {
      const key = keyOf(profile.profile, layer.name);
      const got = pulled.get(key);
      const blocker = got === undefined ? layer.name : layer.dependsOn.find((d) => failed.has(d));
      if (got === undefined || blocker !== undefined) {
        const reason =
          got === undefined
            ? (outcome.layers.get(key)?.reason ?? 'not pulled')
            : `not installed: depends on ${blocker!}, which failed: ${failed.get(blocker!)!}`;
        failed.set(layer.name, reason);
        if (got !== undefined) {
          outcome.layers.set(key, { state: 'failed', reason });
          blocked.push({ profile: profile.profile, layer: layer.name, state: 'failed', reason });
        }
        continue;
      }
      helmLayers.push(toHelmLayer(profile.profile, layer, got));
    }
  }
  if (blocked.length > 0) await s.api.agent.report({ planRevision: plan.revision, layers: blocked });
  const applied = await applyHelmLayers(helmLayers, {
    helm: s.apply.helm,
    kubeconfig: s.apply.kubeconfig,
    workDir: s.workDir,
    ...(s.apply.timeoutMs === undefined ? {} : { timeoutMs: s.apply.timeoutMs }),
    shouldStop: s.planChanged,
    onLayer: async (layer: AppliedLayer) => {
      const got = pulled.get(layer.key)!;
      const report: LayerReport =
        layer.state === 'installed'
          ? {
              profile: layer.profile,
              layer: layer.layer,
              state: 'installed',
              digest: got.digest,
              chart: got.chart,
              reference: got.reference,
              provenance: got.provenance,
              release: layer.release,
            }
          : {
              profile: layer.profile,
              layer: layer.layer,
              state: 'failed',
              reason: layer.reason,
              ...(layer.release === undefined ? {} : { release: layer.release }),
            };
      outcome.layers.set(
        layer.key,
        layer.state === 'installed' ? { state: 'installed' } : { state: 'failed', reason: layer.reason },
      );
      s.log(
        layer.state === 'installed'
          ? `${layer.key}: release ${layer.release.namespace}/${layer.release.name} revision ${layer.release.revision} ${layer.release.status}${layer.changed ? '' : ' (unchanged)'}`
          : `${layer.key}: not installed: ${layer.reason}`,
      );
      await s.api.agent.report({ planRevision: plan.revision, layers: [report] });
    },
  });
  outcome.replan = applied.stopped;
  return outcome;
}

function toHelmLayer(profile: string, layer: AgentPlanLayer, got: PulledLayer): HelmLayer {
  return {
    key: keyOf(profile, layer.name),
    profile,
    layer: layer.name,
    releaseName: layer.releaseName,
    namespace: layer.namespace,
    createNamespace: layer.createNamespace,
    archivePath: got.path,
    digest: got.digest,
    values: layer.values,
    dependsOn: layer.dependsOn,
  };
}
