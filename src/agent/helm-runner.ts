import { spawn } from 'node:child_process';
import { join } from 'node:path';

/*
 * Runs the real helm binary for the agent: no shell, an environment of our own (never the agent's
 * HELM_* or KUBECONFIG settings), output captured within bounds, and a deadline.
 *
 * Helm keeps state in three homes and client-go caches discovery under $HOME/.kube: all four point
 * under the agent's work folder, so an agent run never reads a developer's repositories, registry
 * logins or plugins, and nothing it does lands in a user's home. PATH and the proxy variables pass
 * through (a cluster behind a proxy is reached the way the agent's machine reaches it).
 *
 * On the deadline helm gets SIGTERM first: helm 3.17 and 4.1 both catch it during install and upgrade
 * ("Release x has been cancelled") and mark the release `failed`, which the next run upgrades
 * normally. If it has not exited after KILL_GRACE_MS (a request the cluster never answers), SIGKILL;
 * the release may then be left pending, which helm-apply recovers on the next run.
 */

const PASSED_THROUGH = [
  'PATH',
  'HTTPS_PROXY',
  'HTTP_PROXY',
  'NO_PROXY',
  'https_proxy',
  'http_proxy',
  'no_proxy',
];
const KILL_GRACE_MS = 10_000;
/** Enough for `helm history -o json` of a long history (256 revisions of ~250 bytes). */
const MAX_STDOUT = 1024 * 1024;
/** Helm's error is its last line; the tail is what matters. */
const MAX_STDERR = 64 * 1024;

export interface HelmRunnerOptions {
  /** The helm binary. */
  helm: string;
  /** Helm's homes (config, cache, data, registry config) and HOME live under `<stateDir>/`. */
  stateDir: string;
  /** Deadline of one helm command. */
  timeoutMs: number;
}

export interface HelmRun {
  /** Exit code, or null when helm ended by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** True when the deadline ended the run. */
  timedOut: boolean;
  stdout: string;
  /** The last MAX_STDERR bytes. */
  stderr: string;
  /** The reason helm could not be started at all (binary missing, not executable). */
  spawnError?: string;
}

export function helmEnvironment(stateDir: string): Record<string, string> {
  const env: Record<string, string> = { LANG: 'C.UTF-8' };
  for (const name of PASSED_THROUGH) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return {
    ...env,
    HOME: join(stateDir, 'home'),
    HELM_CONFIG_HOME: join(stateDir, 'config'),
    HELM_CACHE_HOME: join(stateDir, 'cache'),
    HELM_DATA_HOME: join(stateDir, 'data'),
    HELM_REGISTRY_CONFIG: join(stateDir, 'config', 'registry', 'config.json'),
    HELM_REPOSITORY_CONFIG: join(stateDir, 'config', 'repositories.yaml'),
    HELM_REPOSITORY_CACHE: join(stateDir, 'cache', 'repository'),
    // Release Secrets, as `helm` does by default; stated so an inherited HELM_DRIVER cannot matter.
    HELM_DRIVER: 'secret',
  };
}

export function runHelm(options: HelmRunnerOptions, args: readonly string[]): Promise<HelmRun> {
  return new Promise((resolve) => {
    const child = spawn(options.helm, args, {
      env: helmEnvironment(options.stateDir),
      cwd: options.stateDir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stdoutBytes = 0;
    let stderr = '';
    let timedOut = false;
    let spawnError: string | undefined;
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      if (stdoutBytes >= MAX_STDOUT) return;
      stdoutBytes += Buffer.byteLength(chunk);
      stdout += chunk;
    });
    child.stderr.on('data', (chunk: string) => {
      stderr += chunk;
      if (stderr.length > 2 * MAX_STDERR) stderr = stderr.slice(-MAX_STDERR);
    });
    let killTimer: NodeJS.Timeout | undefined;
    const deadline = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
    }, options.timeoutMs);
    child.on('error', (err: NodeJS.ErrnoException) => {
      spawnError =
        err.code === 'ENOENT'
          ? `helm was not found at ${options.helm}`
          : err.code === 'EACCES'
            ? `helm at ${options.helm} is not executable`
            : `helm could not be started: ${err.message}`;
    });
    child.on('close', (code, signal) => {
      clearTimeout(deadline);
      clearTimeout(killTimer);
      resolve({
        code,
        signal,
        timedOut,
        stdout,
        stderr: stderr.slice(-MAX_STDERR),
        ...(spawnError !== undefined ? { spawnError } : {}),
      });
    });
  });
}
