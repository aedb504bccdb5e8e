import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { helmFailureReason, oneLine } from './helm-reason.js';
import { endOrphanedHelms } from './orphaned-helm.js';
import { runHelm, type HelmRun, type HelmRunnerOptions } from './helm-runner.js';
import { parseHistory, planRelease, releaseDescription, type HistoryEntry } from './release-state.js';

/*
 * `charthouse agent --apply`: installs already-verified chart archives with the real helm, layer by
 * layer in install order (issue 14 items 4 and 5).
 *
 * - Helm only ever gets a local archive path (absolute, checked to be a file), so it never downloads a
 *   chart; the archive is the one the agent verified.
 * - Values go to a 0600 file in a fresh folder of the work dir, removed after the command, never on the
 *   command line (they may hold secrets, and a command line is visible to every local user).
 * - `--reset-values`: without it helm reuses the previous release's values when the file is empty (`{}`),
 *   and the release must run exactly the plan's values.
 * - Re-running the same plan changes nothing, and a release left pending by a killed run is recovered
 *   first: see release-state.ts. A helm that a killed agent left running is ended before anything
 *   else (orphaned-helm.ts).
 * - A failed layer fails the layers that depend on it, transitively, without running helm for them;
 *   independent layers go on.
 */

export interface HelmLayer {
  /** `profile/layer`, as reports name it. */
  key: string;
  profile: string;
  layer: string;
  releaseName: string;
  namespace: string;
  createNamespace: boolean;
  /** The verified chart archive (.tgz) on local disk. */
  archivePath: string;
  /** `sha256:<hex>` of the archive. */
  digest: string;
  values: Record<string, unknown>;
  /** Names of layers of the same profile that must be installed first. */
  dependsOn: string[];
}

export interface HelmRelease {
  name: string;
  namespace: string;
  revision: number;
  status: string;
}

export interface InstalledLayer {
  key: string;
  profile: string;
  layer: string;
  state: 'installed';
  /** False when the release already ran this archive with these values (no new revision). */
  changed: boolean;
  release: HelmRelease;
}

export interface FailedLayer {
  key: string;
  profile: string;
  layer: string;
  state: 'failed';
  /** One line, no secrets. */
  reason: string;
  /** The release as helm left it, when there is one. */
  release?: HelmRelease;
}

/** A layer not reached because shouldStop said to stop: nothing was done and nothing is to be reported. */
export interface NotAttemptedLayer {
  key: string;
  profile: string;
  layer: string;
  state: 'not-attempted';
}

export type AppliedLayer = InstalledLayer | FailedLayer;
export type LayerOutcome = AppliedLayer | NotAttemptedLayer;

export interface HelmApplyOptions {
  /** The helm binary (Helm 3 or 4). */
  helm: string;
  kubeconfig: string;
  /** Helm's homes and the values files live under `<workDir>/helm`. */
  workDir: string;
  /** Deadline of each helm command; default 5 minutes. */
  timeoutMs?: number;
  /** Asked before each layer; true stops the run there (the plan changed: re-plan). */
  shouldStop?: () => boolean | Promise<boolean>;
  /** Called as each layer finishes, installed or failed, before the next starts. Its errors end the run. */
  onLayer?: (outcome: AppliedLayer) => void | Promise<void>;
}

export interface HelmApplyResult {
  /** One per input layer, in the input's order. */
  layers: LayerOutcome[];
  /** True when shouldStop ended the run before the last layer. */
  stopped: boolean;
  /** Pids of helm processes an earlier, killed run left running, ended before this run began. */
  orphansEnded: number[];
}

const DEFAULT_TIMEOUT_MS = 5 * 60_000;
/**
 * Our deadline comes this long after helm's own --timeout (a quarter of it, at most 15 s), so helm's
 * own, clearer timeout error wins where it applies (hooks); ours ends a request the cluster never answers.
 */
function deadlineMargin(timeoutMs: number): number {
  return Math.min(15_000, Math.ceil(timeoutMs / 4));
}

/** Installs `layers` (in install order) with helm; never throws for a layer's failure, only for onLayer's. */
export async function applyHelmLayers(
  layers: readonly HelmLayer[],
  options: HelmApplyOptions,
): Promise<HelmApplyResult> {
  const stateDir = join(resolve(options.workDir), 'helm');
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const orphansEnded = await endOrphanedHelms(stateDir);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const helm = new HelmCommands(
    { helm: options.helm, stateDir, timeoutMs: timeoutMs + deadlineMargin(timeoutMs) },
    options.kubeconfig,
    timeoutMs,
  );

  const outcomes: LayerOutcome[] = [];
  const byLayer = new Map<string, LayerOutcome>();
  let stopped = false;
  for (const layer of layers) {
    if (!stopped && options.shouldStop && (await options.shouldStop())) stopped = true;
    let outcome: LayerOutcome;
    if (stopped) {
      outcome = { key: layer.key, profile: layer.profile, layer: layer.layer, state: 'not-attempted' };
    } else {
      const blocked = blockedBy(layer, byLayer);
      outcome = blocked
        ? { key: layer.key, profile: layer.profile, layer: layer.layer, state: 'failed', reason: blocked }
        : await installLayer(layer, helm, stateDir);
      await options.onLayer?.(outcome);
    }
    outcomes.push(outcome);
    byLayer.set(layerId(layer.profile, layer.layer), outcome);
  }
  return { layers: outcomes, stopped, orphansEnded };
}

function layerId(profile: string, layer: string): string {
  return `${profile}\u0000${layer}`;
}

/** Why a layer must not be installed because of its dependencies, or undefined when it may. */
function blockedBy(layer: HelmLayer, done: ReadonlyMap<string, LayerOutcome>): string | undefined {
  for (const dependency of layer.dependsOn) {
    const outcome = done.get(layerId(layer.profile, dependency));
    if (outcome?.state === 'installed') continue;
    if (outcome?.state === 'failed') {
      return oneLine(`not installed: depends on ${dependency}, which failed: ${outcome.reason}`);
    }
    // The plan lists layers in install order, so this means a plan the agent cannot trust.
    return `not installed: depends on ${dependency}, which is not installed before it in this plan`;
  }
  return undefined;
}

async function installLayer(layer: HelmLayer, helm: HelmCommands, stateDir: string): Promise<AppliedLayer> {
  const base = { key: layer.key, profile: layer.profile, layer: layer.layer };
  const failed = (reason: string, release?: HelmRelease): FailedLayer => ({
    ...base,
    state: 'failed',
    reason,
    ...(release ? { release } : {}),
  });
  try {
    const archive = resolve(layer.archivePath);
    if (!(await isFile(archive))) return failed(`the chart archive ${basename(archive)} is missing`);

    const description = releaseDescription(layer.digest, layer.values);
    const history = await helm.history(layer);
    const plan = planRelease(history, description);
    if (plan.kind === 'unchanged') {
      return { ...base, state: 'installed', changed: false, release: toRelease(layer, history.at(-1)!) };
    }
    if (plan.kind === 'rollback-then-upgrade') await helm.rollback(layer, plan.toRevision, plan.from);
    if (plan.kind === 'uninstall-then-install') await helm.uninstall(layer, plan.from);

    const upgradeFailure = await helm.upgrade(layer, archive, description, stateDir);
    // The release as helm left it, failed or not; a second failure to read it changes nothing here.
    const last = (await helm.history(layer).catch(() => [])).at(-1);
    const release = last ? toRelease(layer, last) : undefined;
    if (upgradeFailure) return failed(upgradeFailure, release);
    if (!release) return failed(`helm reported success but release ${layer.releaseName} is not there`);
    if (release.status !== 'deployed') {
      return failed(`release ${layer.releaseName} is ${release.status} after helm upgrade`, release);
    }
    return { ...base, state: 'installed', changed: true, release };
  } catch (err) {
    if (err instanceof HelmCommandError) return failed(err.message);
    return failed(oneLine(`installing ${layer.releaseName} failed: ${(err as Error).message}`));
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

function toRelease(layer: HelmLayer, entry: HistoryEntry): HelmRelease {
  return {
    name: layer.releaseName,
    namespace: layer.namespace,
    revision: entry.revision,
    status: entry.status,
  };
}

/** A helm command that failed; its message is the layer's reason (one line, masked). */
class HelmCommandError extends Error {}

/** The helm commands one layer needs, each with the cluster, the namespace and the deadline. */
class HelmCommands {
  constructor(
    private readonly runner: HelmRunnerOptions,
    private readonly kubeconfig: string,
    private readonly timeoutMs: number,
  ) {}

  private run(layer: HelmLayer, args: string[]): Promise<HelmRun> {
    return runHelm(this.runner, [...args, '--namespace', layer.namespace, '--kubeconfig', this.kubeconfig]);
  }

  private fail(doing: string, run: HelmRun, layer: HelmLayer): never {
    throw new HelmCommandError(helmFailureReason(doing, run, layer.values, this.timeoutMs));
  }

  private get timeout(): string[] {
    return ['--timeout', `${Math.max(1, Math.ceil(this.timeoutMs / 1000))}s`];
  }

  /** The release's revisions, oldest first; empty when there is no such release. */
  async history(layer: HelmLayer): Promise<HistoryEntry[]> {
    const run = await this.run(layer, ['history', layer.releaseName, '--output', 'json']);
    if (run.code === 0) {
      try {
        return parseHistory(run.stdout);
      } catch (err) {
        throw new HelmCommandError(`reading release ${layer.releaseName}: ${(err as Error).message}`);
      }
    }
    if (/\brelease: not found\b/.test(run.stderr)) return [];
    this.fail(`reading release ${layer.releaseName}`, run, layer);
  }

  async rollback(layer: HelmLayer, revision: number, from: string): Promise<void> {
    const run = await this.run(layer, ['rollback', layer.releaseName, String(revision), ...this.timeout]);
    if (run.code !== 0) {
      this.fail(`recovering release ${layer.releaseName} from ${from} (rollback to ${revision})`, run, layer);
    }
  }

  async uninstall(layer: HelmLayer, from: string): Promise<void> {
    const run = await this.run(layer, ['uninstall', layer.releaseName, ...this.timeout]);
    if (run.code !== 0 && !/\brelease: not found\b/.test(run.stderr)) {
      this.fail(`recovering release ${layer.releaseName} from ${from} (uninstall)`, run, layer);
    }
  }

  /** `helm upgrade --install`; resolves with the failure reason, or undefined on success. */
  async upgrade(
    layer: HelmLayer,
    archive: string,
    description: string,
    stateDir: string,
  ): Promise<string | undefined> {
    const dir = await mkdtemp(join(stateDir, 'values-'));
    try {
      const valuesFile = join(dir, 'values.json');
      // JSON is YAML: helm reads it as given, with no second serializer to disagree with.
      await writeFile(valuesFile, JSON.stringify(layer.values), { mode: 0o600, flag: 'wx' });
      const run = await this.run(layer, [
        'upgrade',
        '--install',
        layer.releaseName,
        archive,
        ...(layer.createNamespace ? ['--create-namespace'] : []),
        '--values',
        valuesFile,
        '--reset-values',
        '--description',
        description,
        ...this.timeout,
      ]);
      if (run.code === 0) return undefined;
      return helmFailureReason(`installing ${layer.releaseName}`, run, layer.values, this.timeoutMs);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}
