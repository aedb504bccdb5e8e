import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { ApiClient } from '../client/api-client.js';
import { CliError, UsageError } from './output.js';

/** What `charthouse login` keeps: a session token, never the password. */
export interface StoredLogin {
  server: string;
  token: string;
  expiresAt: string | null;
}

/** `$CHARTHOUSE_CLI_CONFIG`, else `$XDG_CONFIG_HOME/charthouse/cli.json`, else `~/.config/charthouse/cli.json`. */
export function cliConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CHARTHOUSE_CLI_CONFIG) return path.resolve(env.CHARTHOUSE_CLI_CONFIG);
  const base = env.XDG_CONFIG_HOME ? env.XDG_CONFIG_HOME : path.join(homedir(), '.config');
  return path.join(base, 'charthouse', 'cli.json');
}

export async function readStoredLogin(file: string): Promise<StoredLogin | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new CliError(`cannot read ${file}: ${(err as Error).message}`);
  }
  try {
    const v = JSON.parse(text) as Partial<StoredLogin>;
    if (typeof v.server === 'string' && typeof v.token === 'string') {
      return {
        server: v.server,
        token: v.token,
        expiresAt: typeof v.expiresAt === 'string' ? v.expiresAt : null,
      };
    }
  } catch {
    // reported below
  }
  throw new CliError(`${file} is not a Charthouse CLI login: remove it and run "charthouse login" again`);
}

/**
 * Written to a private temp file and renamed over the old one, so the token is never readable by
 * others, not even for a moment, and a crash cannot leave half a file.
 */
export async function writeStoredLogin(file: string, login: StoredLogin): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, JSON.stringify(login, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
    await chmod(tmp, 0o600);
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw new CliError(`cannot save the login to ${file}: ${(err as Error).message}`);
  }
}

/** Returns the removed login, or null when there was none. */
export async function removeStoredLogin(file: string): Promise<StoredLogin | null> {
  const login = await readStoredLogin(file).catch(() => null);
  await rm(file, { force: true });
  return login;
}

/** An http(s) base URL without credentials, query or trailing slash; a usage error otherwise. */
export function normalizeServer(input: string): string {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new UsageError(`"${input}" is not a URL: give the server as http(s)://host[:port]`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`"${input}" is not an http(s) URL: give the server as http(s)://host[:port]`);
  }
  if (url.username || url.password)
    throw new UsageError('the server URL must not contain a username or password');
  if (url.search || url.hash) throw new UsageError('the server URL must not contain a query or fragment');
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** Plain http is fine on this machine; anywhere else the password and token travel readable. */
export function isCleartextRemote(server: string): boolean {
  const url = new URL(server);
  if (url.protocol !== 'http:') return false;
  return !['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
}

export interface ConnectOptions {
  server?: string;
}

/**
 * The client for a command. The token comes from `CHARTHOUSE_TOKEN` (CI, personal tokens) or from
 * the stored login. The stored token is only ever sent to the server it was issued by: `--server`
 * pointing elsewhere must not leak it.
 */
export async function connect(
  opts: ConnectOptions,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ApiClient> {
  const stored = await readStoredLogin(cliConfigPath(env));
  const given = opts.server ?? env.CHARTHOUSE_SERVER;
  const server = given ? normalizeServer(given) : stored?.server;
  if (!server) {
    throw new UsageError(
      'no server: run "charthouse login --server URL", or pass --server (or CHARTHOUSE_SERVER)',
    );
  }
  if (env.CHARTHOUSE_TOKEN) return new ApiClient({ baseUrl: server, token: env.CHARTHOUSE_TOKEN });
  if (!stored)
    throw new CliError(`not signed in: run "charthouse login --server ${server}" or set CHARTHOUSE_TOKEN`);
  if (stored.server !== server) {
    throw new CliError(
      `you are signed in to ${stored.server}, not ${server}: run "charthouse login --server ${server}" or set CHARTHOUSE_TOKEN`,
    );
  }
  if (stored.expiresAt && Date.parse(stored.expiresAt) <= Date.now()) {
    throw new CliError(
      `your session on ${server} expired at ${stored.expiresAt}: run "charthouse login" again`,
    );
  }
  return new ApiClient({ baseUrl: server, token: stored.token });
}
