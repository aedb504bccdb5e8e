import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/**
 * The built CLI, as users run it: test-all builds before the integration suites. (Through tsx, every
 * command paid about 1.5 s of compiling on start, most of the CLI suites' time.)
 */
const MAIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment of a user's shell: nothing from the test run or the developer's own CLI login. */
function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith('CHARTHOUSE_') && !k.startsWith('NODE_TEST')) env[k] = v;
  }
  return env;
}

/** Runs the real CLI as a child process; async, because the server answers from the test's own process. */
export function runCli(
  configFile: string,
  args: string[],
  opts: { stdin?: string; env?: Record<string, string> } = {},
): Promise<CliRun> {
  if (!existsSync(MAIN)) throw new Error('dist/ is missing: run `npm run build` first (test-all does).');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], {
      cwd: ROOT,
      env: { ...cleanEnv(), CHARTHOUSE_CLI_CONFIG: configFile, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(opts.stdin ?? '');
  });
}

export function assertCliOk(run: CliRun, what: string): void {
  assert.equal(run.code, 0, `${what} failed (${run.code}): ${run.stderr}`);
}
