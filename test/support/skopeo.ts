import { execFile } from 'node:child_process';
import { access, constants, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/*
 * Real command-line clients for the hosted-registry tests: Debian's skopeo and curl, run as child
 * processes. A missing binary fails the test with the package to install; it never skips it
 * (`npm run test:all` installs them).
 */

export interface ToolRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** The absolute path of `name` on PATH (or a usual place), or an error naming the Debian package. */
export async function requireTool(name: string, debianPackage = name): Promise<string> {
  const dirs = (process.env['PATH'] ?? '').split(delimiter).filter(Boolean);
  for (const path of [...dirs.map((d) => join(d, name)), `/usr/bin/${name}`, `/usr/local/bin/${name}`]) {
    try {
      await access(path, constants.X_OK);
      return path;
    } catch {
      // try the next one
    }
  }
  throw new Error(
    `${name} is not installed: these tests need the real client. Run \`npm run test:all\` (it installs it) ` +
      `or \`apt-get install ${debianPackage}\`.`,
  );
}

/** Runs a binary and resolves with its exit code and output (never rejects on a non-zero exit). */
export function runTool(
  binary: string,
  args: string[],
  opts: { env?: Record<string, string>; timeoutMs?: number; stdin?: string; cwd?: string } = {},
): Promise<ToolRun> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      binary,
      args,
      {
        env: opts.env ?? cleanEnv(),
        timeout: opts.timeoutMs ?? 60_000,
        maxBuffer: 64 * 1024 * 1024,
        ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
      },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
        if (err !== null && typeof err.code !== 'number' && !err.killed) return reject(err);
        resolve({
          code,
          stdout: String(stdout),
          stderr: String(stderr) + (err?.killed ? '\n(killed: timeout)' : ''),
        });
      },
    );
    // A tool waiting on stdin (helm's --password-stdin) gets its input, everything else an immediate EOF.
    child.stdin?.end(opts.stdin ?? '');
  });
}

/** PATH and locale only: no proxy settings, no REGISTRY_AUTH_FILE, no credentials of the developer. */
function cleanEnv(home?: string): Record<string, string> {
  return {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    LANG: 'C.UTF-8',
    ...(home ? { HOME: home, XDG_RUNTIME_DIR: home, XDG_CONFIG_HOME: join(home, '.config') } : {}),
  };
}

export interface Skopeo {
  /** Runs `skopeo --insecure-policy <args>`; rejects with its output when it exits non-zero. */
  run(args: string[]): Promise<ToolRun>;
  /** Same, but resolves with the failure instead (for refusals the test expects). */
  attempt(args: string[]): Promise<ToolRun>;
  close(): Promise<void>;
}

/**
 * skopeo with a home of its own (no auth.json, registries.conf or policy of the machine's user), and
 * `--insecure-policy` so the signature policy of the machine does not matter. Credentials and TLS
 * options are passed per call (`--creds`, `--src-creds`, `--dest-creds`, `--tls-verify=false`, ...).
 */
export async function startSkopeo(): Promise<Skopeo> {
  const binary = await requireTool('skopeo');
  const home = await mkdtemp(join(tmpdir(), 'charthouse-skopeo-'));
  const env = cleanEnv(home);
  const attempt = (args: string[]) =>
    runTool(binary, ['--insecure-policy', ...args], { env, timeoutMs: 120_000 });
  return {
    attempt,
    async run(args) {
      const result = await attempt(args);
      if (result.code !== 0) {
        throw new Error(
          `skopeo ${args.join(' ')} exited ${result.code}:\n${result.stderr}\n${result.stdout}`,
        );
      }
      return result;
    },
    close: () => rm(home, { recursive: true, force: true }),
  };
}

export interface CurlResponse {
  status: number;
  /** Header names lowercased; of the last response when curl saw several (100 Continue, redirects). */
  headers: Record<string, string>;
  body: Buffer;
}

export interface Curl {
  /**
   * `curl -sS <args> <url>`; the status, headers and body come back separately. Fails only when curl
   * itself fails (connection refused, ...), not on an HTTP error status.
   */
  request(args: string[], url: string): Promise<CurlResponse>;
  /** A scratch folder for files to upload (`-F chart=@...`, `--data-binary @...`). */
  dir: string;
  close(): Promise<void>;
}

export async function startCurl(): Promise<Curl> {
  const binary = await requireTool('curl');
  const dir = await mkdtemp(join(tmpdir(), 'charthouse-curl-'));
  let n = 0;
  return {
    dir,
    async request(args, url) {
      n += 1;
      const headerFile = join(dir, `headers-${n}.txt`);
      const bodyFile = join(dir, `body-${n}.bin`);
      const result = await runTool(binary, [
        '-sS',
        '-D',
        headerFile,
        '-o',
        bodyFile,
        '-w',
        '%{http_code}',
        ...args,
        url,
      ]);
      if (result.code !== 0)
        throw new Error(`curl ${args.join(' ')} ${url} exited ${result.code}: ${result.stderr}`);
      const rawHeaders = await readFile(headerFile, 'utf8');
      const body = await readFile(bodyFile).catch(() => Buffer.alloc(0));
      return { status: Number(result.stdout.trim()), headers: lastHeaderBlock(rawHeaders), body };
    },
    close: () => rm(dir, { recursive: true, force: true }),
  };
}

function lastHeaderBlock(raw: string): Record<string, string> {
  const blocks = raw.split(/\r?\n\r?\n/).filter((b) => b.trim() !== '');
  const last = blocks[blocks.length - 1] ?? '';
  const headers: Record<string, string> = {};
  for (const line of last.split(/\r?\n/).slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  return headers;
}
