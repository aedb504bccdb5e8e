import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import yaml from 'js-yaml';

/**
 * Server configuration: parsed once at start-up from an optional file (`CHARTHOUSE_CONFIG_FILE`, YAML or
 * JSON, keys as in the `key` column below) and the environment (which wins), validated, frozen.
 * Start-up fails listing every bad key at once, so an operator fixes them in one go.
 */
export interface Config {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | null;
  /** How long a request waits for the database (a PostgreSQL connection, SQLite's write lock) before a 503. */
  databaseTimeoutMs: number;
  /** Null: taken from each request (Host, or X-Forwarded-* behind a trusted proxy). */
  publicUrl: string | null;
  adminUsername: string;
  adminPassword: string | null;
  secretKey: string | null;
  secretKeyFile: string;
  allowPrivateEndpoints: boolean;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  trustProxy: boolean;
  sessionTtlMinutes: number;
  loginRateLimitPerMinute: number;
  maxIndexBytes: number;
  upstreamTimeoutMs: number;
  upstreamIdleTimeoutMs: number;
  apiBodyLimitBytes: number;
  syncScheduler: boolean;
  discoveryIntervalHours: number;
  jobsHeartbeatSeconds: number;
  jobsTickSeconds: number;
  /** This process's name in logs (`node`), metrics and job leases (see {@link defaultNodeId}). */
  nodeId: string;
}

type Kind = 'int' | 'string' | 'bool' | 'url' | 'level';

interface KeySpec {
  key: keyof Config;
  env: string;
  kind: Kind;
  /** `null` means "unset unless given". A function derives the default from other keys. */
  fallback: string | number | boolean | null | ((c: Partial<Config>) => string);
  min?: number;
  max?: number;
  /** Secrets also accept `<ENV>_FILE`, read from that path (Docker and Kubernetes secrets). */
  secret?: boolean;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** What a node id may hold: a host, pod or instance name as it appears in a Prometheus label and a log line. */
const NODE_ID = /^[A-Za-z0-9._:@-]{1,100}$/;

/**
 * A node id when none is configured: `<hostname>:<pid>:<random>`, different on every start. Random,
 * not only host and pid, because containers often share a hostname and all run as pid 1.
 */
export function defaultNodeId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
}

/** The one list of settings. The README's configuration table is written from it. */
export const CONFIG_KEYS: readonly KeySpec[] = [
  { key: 'port', env: 'CHARTHOUSE_PORT', kind: 'int', fallback: 8080, min: 0, max: 65535 },
  { key: 'host', env: 'CHARTHOUSE_HOST', kind: 'string', fallback: '0.0.0.0' },
  { key: 'dataDir', env: 'CHARTHOUSE_DATA_DIR', kind: 'string', fallback: './data' },
  { key: 'databaseUrl', env: 'CHARTHOUSE_DATABASE_URL', kind: 'url', fallback: null, secret: true },
  {
    key: 'databaseTimeoutMs',
    env: 'CHARTHOUSE_DATABASE_TIMEOUT_MS',
    kind: 'int',
    fallback: 5000,
    min: 100,
    max: 600000,
  },
  {
    key: 'publicUrl',
    env: 'CHARTHOUSE_PUBLIC_URL',
    kind: 'url',
    fallback: null,
  },
  { key: 'adminUsername', env: 'CHARTHOUSE_ADMIN_USERNAME', kind: 'string', fallback: 'admin' },
  { key: 'adminPassword', env: 'CHARTHOUSE_ADMIN_PASSWORD', kind: 'string', fallback: null, secret: true },
  { key: 'secretKey', env: 'CHARTHOUSE_SECRET_KEY', kind: 'string', fallback: null, secret: true },
  {
    key: 'secretKeyFile',
    env: 'CHARTHOUSE_SECRET_KEY_FILE',
    kind: 'string',
    fallback: (c) => path.join(c.dataDir ?? './data', 'secret.key'),
  },
  { key: 'allowPrivateEndpoints', env: 'CHARTHOUSE_ALLOW_PRIVATE_ENDPOINTS', kind: 'bool', fallback: false },
  { key: 'logLevel', env: 'CHARTHOUSE_LOG_LEVEL', kind: 'level', fallback: 'info' },
  { key: 'trustProxy', env: 'CHARTHOUSE_TRUST_PROXY', kind: 'bool', fallback: false },
  { key: 'sessionTtlMinutes', env: 'CHARTHOUSE_SESSION_TTL_MINUTES', kind: 'int', fallback: 720, min: 5 },
  {
    key: 'loginRateLimitPerMinute',
    env: 'CHARTHOUSE_LOGIN_RATE_LIMIT',
    kind: 'int',
    fallback: 10,
    min: 1,
    max: 10000,
  },
  {
    key: 'maxIndexBytes',
    env: 'CHARTHOUSE_MAX_INDEX_BYTES',
    kind: 'int',
    fallback: 50 * 1024 * 1024,
    min: 1024,
  },
  { key: 'upstreamTimeoutMs', env: 'CHARTHOUSE_UPSTREAM_TIMEOUT_MS', kind: 'int', fallback: 60000, min: 100 },
  {
    key: 'upstreamIdleTimeoutMs',
    env: 'CHARTHOUSE_UPSTREAM_IDLE_TIMEOUT_MS',
    kind: 'int',
    fallback: 15000,
    min: 100,
  },
  { key: 'syncScheduler', env: 'CHARTHOUSE_SYNC_SCHEDULER', kind: 'bool', fallback: true },
  {
    // Kubeconfig clusters are discovered again this often (0: only on "Discover now").
    key: 'discoveryIntervalHours',
    env: 'CHARTHOUSE_DISCOVERY_INTERVAL_HOURS',
    kind: 'int',
    fallback: 24,
    min: 0,
    max: 24 * 365,
  },
  {
    // A process that misses three heartbeats is taken for dead and its jobs (syncs) are taken over.
    key: 'jobsHeartbeatSeconds',
    env: 'CHARTHOUSE_JOBS_HEARTBEAT_SECONDS',
    kind: 'int',
    fallback: 10,
    min: 1,
    max: 60,
  },
  {
    key: 'jobsTickSeconds',
    env: 'CHARTHOUSE_JOBS_TICK_SECONDS',
    kind: 'int',
    fallback: 10,
    min: 1,
    max: 3600,
  },
  { key: 'nodeId', env: 'CHARTHOUSE_NODE_ID', kind: 'string', fallback: () => defaultNodeId() },
  {
    key: 'apiBodyLimitBytes',
    env: 'CHARTHOUSE_API_BODY_LIMIT_BYTES',
    kind: 'int',
    fallback: 1024 * 1024,
    min: 1024,
  },
];

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type RawSource = Record<string, unknown>;

function readConfigFile(file: string, problems: string[]): RawSource {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    problems.push(
      `CHARTHOUSE_CONFIG_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    );
    return {};
  }
  try {
    const doc: unknown = yaml.load(text, { schema: yaml.JSON_SCHEMA });
    if (doc === null || doc === undefined) return {};
    if (typeof doc !== 'object' || Array.isArray(doc)) {
      problems.push(`CHARTHOUSE_CONFIG_FILE: ${file} must hold a mapping of settings`);
      return {};
    }
    const known = new Set(CONFIG_KEYS.map((k) => k.key as string));
    for (const k of Object.keys(doc)) {
      if (!known.has(k)) problems.push(`${file}: unknown setting "${k}"`);
    }
    return doc as RawSource;
  } catch (err) {
    problems.push(
      `CHARTHOUSE_CONFIG_FILE: ${file} is not valid YAML/JSON (${(err as Error).message.split('\n')[0]})`,
    );
    return {};
  }
}

function convert(spec: KeySpec, raw: unknown, where: string, problems: string[]): unknown {
  const text = typeof raw === 'string' ? raw.trim() : raw;
  switch (spec.kind) {
    case 'int': {
      const n =
        typeof text === 'number'
          ? text
          : typeof text === 'string' && /^-?\d+$/.test(text)
            ? Number(text)
            : NaN;
      if (!Number.isSafeInteger(n))
        return void problems.push(`${where}: must be a whole number, got "${String(raw)}"`);
      if (spec.min !== undefined && n < spec.min)
        return void problems.push(`${where}: must be at least ${spec.min}`);
      if (spec.max !== undefined && n > spec.max)
        return void problems.push(`${where}: must be at most ${spec.max}`);
      return n;
    }
    case 'bool': {
      if (typeof text === 'boolean') return text;
      if (typeof text === 'string' && /^(true|1|yes|on)$/i.test(text)) return true;
      if (typeof text === 'string' && /^(false|0|no|off)$/i.test(text)) return false;
      return void problems.push(`${where}: must be true or false, got "${String(raw)}"`);
    }
    case 'level':
      if (typeof text === 'string' && (LOG_LEVELS as readonly string[]).includes(text)) return text;
      return void problems.push(`${where}: must be one of ${LOG_LEVELS.join(', ')}`);
    case 'url': {
      if (typeof text !== 'string' || text === '') return void problems.push(`${where}: must be a URL`);
      try {
        new URL(text);
        return text.replace(/\/+$/, '');
      } catch {
        // Never echo the value: database URLs carry passwords.
        return void problems.push(`${where}: is not a valid URL`);
      }
    }
    case 'string':
      if (typeof text !== 'string' || text === '')
        return void problems.push(`${where}: must be a non-empty string`);
      return text;
  }
}

/** Parse and validate the configuration. Throws ConfigError listing every problem. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Readonly<Config> {
  const problems: string[] = [];
  const file = env.CHARTHOUSE_CONFIG_FILE ? readConfigFile(env.CHARTHOUSE_CONFIG_FILE, problems) : {};
  const known = new Set([...CONFIG_KEYS.map((k) => k.env), ...CONFIG_KEYS.map((k) => `${k.env}_FILE`)]);
  known.add('CHARTHOUSE_CONFIG_FILE');
  // The CLI's own variables share the prefix; a shell that has them set must still start a server.
  for (const cli of [
    'CHARTHOUSE_SERVER',
    'CHARTHOUSE_TOKEN',
    'CHARTHOUSE_TENANT',
    'CHARTHOUSE_CLI_CONFIG',
    'CHARTHOUSE_DEBUG',
  ]) {
    known.add(cli);
  }
  // Test-only variables.
  for (const name of Object.keys(env)) {
    if (name.startsWith('CHARTHOUSE_') && !known.has(name) && !name.startsWith('CHARTHOUSE_TEST_')) {
      problems.push(`${name}: unknown setting (see the configuration table in the README)`);
    }
  }
  const out: Partial<Record<keyof Config, unknown>> = {};
  for (const spec of CONFIG_KEYS) {
    let raw: unknown = env[spec.env];
    let where = spec.env;
    const fileVar = env[`${spec.env}_FILE`];
    if (raw === undefined && spec.secret && fileVar) {
      try {
        raw = readFileSync(fileVar, 'utf8').trim();
        where = `${spec.env}_FILE`;
      } catch {
        problems.push(`${spec.env}_FILE: cannot read ${fileVar}`);
        continue;
      }
    }
    if (raw === undefined && file[spec.key] !== undefined) {
      raw = file[spec.key];
      where = `${env.CHARTHOUSE_CONFIG_FILE}: ${spec.key}`;
    }
    if (raw === undefined || raw === '') {
      const fb = spec.fallback;
      out[spec.key] = typeof fb === 'function' ? fb(out as Partial<Config>) : fb;
      continue;
    }
    const value = convert(spec, raw, where, problems);
    if (value !== undefined) out[spec.key] = value;
  }
  if (typeof out.secretKey === 'string' && !/^[A-Za-z0-9+/=_-]{32,}$/.test(out.secretKey)) {
    problems.push(
      'CHARTHOUSE_SECRET_KEY: must be at least 32 characters of base64 (e.g. `openssl rand -base64 32`)',
    );
  }
  if (typeof out.databaseUrl === 'string' && !/^postgres(ql)?:\/\//.test(out.databaseUrl)) {
    problems.push(
      'CHARTHOUSE_DATABASE_URL: must be a postgres:// URL (leave it unset for the embedded SQLite)',
    );
  }
  if (typeof out.nodeId === 'string' && !NODE_ID.test(out.nodeId)) {
    problems.push(
      'CHARTHOUSE_NODE_ID: must be 1 to 100 letters, digits and . _ : @ - (a host or pod name, say)',
    );
  }
  if (typeof out.adminPassword === 'string' && out.adminPassword.length < 8) {
    problems.push('CHARTHOUSE_ADMIN_PASSWORD: must be at least 8 characters');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  out.dataDir = path.resolve(out.dataDir as string);
  out.secretKeyFile = path.resolve(out.secretKeyFile as string);
  return Object.freeze(out as Config);
}
