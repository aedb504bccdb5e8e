/**
 * index.yaml of a 5,000-version hosted repository, side by side with Debian's nginx serving the same
 * bytes as a static file.
 *
 *   npm run build && node --import tsx bench/hosted-index.bench.ts
 *
 * The built server on SQLite (the index is rendered once per revision and kept in memory, so the
 * database only matters for the fill). The fill: 250 charts x 20 versions, tiny generated charts
 * uploaded through the ChartMuseum API (POST /helm/bench/api/charts, raw .tgz) by 16 concurrent
 * clients; its duration is reported. Then index.yaml is fetched once (plain and gzip) and those exact
 * bytes are written into nginx's root (index.yaml and index.yaml.gz for gzip_static).
 *
 * Load, the same client code for every server (bench/load.ts): 16 clients send GET index.yaml back to
 * back and read every body byte, for SECONDS s (BENCH_SECONDS) per server per round, ROUNDS rounds, the
 * servers taking turns (the order flips every round) after a 1 s warm-up each:
 * - full body: nginx; Charthouse with Basic auth (a tenant member's password); Charthouse anonymous
 *   (public read on); Charthouse with Basic auth carrying the member's API token instead of the password
 *   (a password is checked with scrypt whenever the server's 5 s credential cache has let it go);
 * - gzip (Accept-Encoding: gzip): nginx gzip_static with Charthouse's own gzip bytes; Charthouse;
 * - 304 (If-None-Match: the ETag), 16 clients and 1 client: latency p50/p95/p99.
 * Figures are medians over the rounds; ratios are medians of the per-round ratios. The server's CPU
 * per request (from /proc) is shown too: unlike the rate it does not move with the machine's noise.
 * Asserts nothing.
 */
import { performance } from 'node:perf_hooks';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import yaml from 'js-yaml';
import type { Pool } from 'undici';
import { createTenant } from '../test/support/server.js';
import { startBuiltServer } from './built-server.js';
import { tinyChart } from './hosted-charts.js';
import {
  basicAuth,
  expectStatus,
  figures,
  fmt,
  header,
  median,
  pool,
  roundOrder,
  runLoad,
  send,
  table,
  type RoundFigures,
} from './load.js';
import { startNginx } from './nginx.js';
import { withCpu } from './proc.js';

const CHARTS = 250;
const VERSIONS_PER_CHART = 20;
const CLIENTS = 16;
const ROUNDS = 3;
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 4);
const WARMUP_MS = 1_000;
const WORDS = ['database', 'cache', 'proxy', 'monitoring', 'queue', 'gateway', 'storage', 'operator'];
const MEMBER = basicAuth('bench-member', 'bench-member-password');

interface Contender {
  name: string;
  pool: Pool;
  port: number;
  path: string;
  headers: Record<string, string>;
  status: number;
  /** Body bytes every answer must have. */
  bytes: number;
  /** Whose ratio row this is: the reference (nginx) or a Charthouse variant. */
  reference: boolean;
}

interface Group {
  title: string;
  clients: number;
  contenders: Contender[];
}

interface Measured extends RoundFigures {
  cpuMsPerOp: number;
}

async function getOnce(c: Contender): Promise<void> {
  const answer = await send(c.pool, 'GET', c.path, c.headers);
  expectStatus(answer, c.status, `GET ${c.path}`);
  if (answer.bytes !== c.bytes) throw new Error(`GET ${c.path}: ${answer.bytes} bytes, expected ${c.bytes}`);
}

async function measure(c: Contender, clients: number, durationMs: number): Promise<Measured> {
  const { result, cpu } = await withCpu(c.port, () => runLoad({ clients, durationMs, op: () => getOnce(c) }));
  return { ...figures(result), cpuMsPerOp: (cpu * 1000) / result.ops };
}

async function fill(url: string, token: string): Promise<{ ms: number; uploads: number }> {
  const archives: Buffer[] = [];
  for (let v = 0; v < VERSIONS_PER_CHART; v++) {
    for (let c = 0; c < CHARTS; c++) {
      const name = `${WORDS[c % WORDS.length]}-${String(c).padStart(3, '0')}`;
      archives.push(tinyChart(name, `${1 + Math.floor(v / 10)}.${v % 10}.0`));
    }
  }
  const target = pool(url, CLIENTS);
  let next = 0;
  const started = performance.now();
  try {
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        for (let i = next++; i < archives.length; i = next++) {
          const answer = await send(
            target,
            'POST',
            '/helm/bench/api/charts',
            { authorization: `Bearer ${token}`, 'content-type': 'application/gzip' },
            { body: archives[i]!, keep: true },
          );
          expectStatus(answer, 201, 'POST /helm/bench/api/charts');
        }
      }),
    );
  } finally {
    await target.close();
  }
  return { ms: performance.now() - started, uploads: archives.length };
}

async function main(): Promise<void> {
  const started = performance.now();
  const server = await startBuiltServer('sqlite', { CHARTHOUSE_LOG_LEVEL: 'warn' });
  const nginx = await startNginx();
  const pools: Pool[] = [];
  try {
    const tenant = await createTenant(server, 'bench');
    const apiToken = await server.api<{ token: string }>('POST', '/api/v1/auth/tokens', {
      token: tenant.memberToken,
      body: { name: 'bench' },
    });
    if (apiToken.status !== 201) throw new Error(`API token: ${apiToken.status}`);
    const filled = await fill(server.url, tenant.memberToken);
    console.log(
      `fill: ${filled.uploads} versions (${CHARTS} charts x ${VERSIONS_PER_CHART}) uploaded through the ` +
        `ChartMuseum API by ${CLIENTS} clients in ${(filled.ms / 1000).toFixed(1)} s ` +
        `(${Math.round(filled.uploads / (filled.ms / 1000))} uploads/s)`,
    );
    const publicRead = await server.api('PATCH', '/api/v1/tenants/bench/hosted', {
      token: tenant.adminToken,
      body: { publicRead: true },
    });
    if (publicRead.status !== 200) throw new Error(`public read: ${publicRead.status}`);

    // The index once, plain and gzip: these bytes are what nginx serves.
    const chPort = Number(new URL(server.url).port);
    const chPool = pool(server.url, CLIENTS);
    const ngPool = pool(nginx.url, CLIENTS);
    pools.push(chPool, ngPool);
    const renderStarted = performance.now();
    const plain = expectStatus(
      await send(chPool, 'GET', '/helm/bench/index.yaml', { authorization: MEMBER }, { keep: true }),
      200,
      'GET index.yaml',
    );
    const renderMs = performance.now() - renderStarted;
    const gzip = expectStatus(
      await send(
        chPool,
        'GET',
        '/helm/bench/index.yaml',
        { authorization: MEMBER, 'accept-encoding': 'gzip' },
        { keep: true },
      ),
      200,
      'GET index.yaml (gzip)',
    );
    if (header(gzip, 'content-encoding') !== 'gzip') throw new Error('Charthouse did not gzip index.yaml');
    const etag = header(plain, 'etag');
    if (!etag) throw new Error('index.yaml has no ETag');
    const index = yaml.load(plain.body.toString('utf8')) as { entries: Record<string, unknown[]> };
    const versions = Object.values(index.entries).reduce((n, list) => n + list.length, 0);
    if (versions !== CHARTS * VERSIONS_PER_CHART) throw new Error(`index.yaml lists ${versions} versions`);
    await writeFile(join(nginx.root, 'index.yaml'), plain.body);
    await writeFile(join(nginx.root, 'index.yaml.gz'), gzip.body);
    const ngPlain = expectStatus(await send(ngPool, 'GET', '/index.yaml', {}, { keep: true }), 200, 'nginx');
    if (!ngPlain.body.equals(plain.body)) throw new Error('nginx serves other bytes');
    const ngEtag = header(ngPlain, 'etag');
    if (!ngEtag) throw new Error('nginx sent no ETag');
    const ngGzip = await send(ngPool, 'GET', '/index.yaml', { 'accept-encoding': 'gzip' }, { keep: true });
    if (header(ngGzip, 'content-encoding') !== 'gzip' || !ngGzip.body.equals(gzip.body)) {
      throw new Error('nginx gzip_static does not serve the .gz file');
    }
    console.log(
      `index.yaml: ${versions} versions, ${plain.bytes} bytes (gzip ${gzip.bytes}), ` +
        `first request after the fill (render + gzip + send) ${renderMs.toFixed(0)} ms`,
    );

    const ch = (name: string, headers: Record<string, string>, status: number, bytes: number): Contender => ({
      name,
      pool: chPool,
      port: chPort,
      path: '/helm/bench/index.yaml',
      headers,
      status,
      bytes,
      reference: false,
    });
    const ng = (name: string, headers: Record<string, string>, status: number, bytes: number): Contender => ({
      name,
      pool: ngPool,
      port: nginx.port,
      path: '/index.yaml',
      headers,
      status,
      bytes,
      reference: true,
    });
    const groups: Group[] = [
      {
        title: 'full body',
        clients: CLIENTS,
        contenders: [
          ng('nginx', {}, 200, plain.bytes),
          ch('charthouse, Basic auth', { authorization: MEMBER }, 200, plain.bytes),
          ch('charthouse, anonymous (public read)', {}, 200, plain.bytes),
          ch(
            'charthouse, Basic user:API token',
            { authorization: basicAuth('bench-member', apiToken.body.token) },
            200,
            plain.bytes,
          ),
        ],
      },
      {
        title: 'gzip',
        clients: CLIENTS,
        contenders: [
          ng('nginx gzip_static', { 'accept-encoding': 'gzip' }, 200, gzip.bytes),
          ch('charthouse, Basic auth', { authorization: MEMBER, 'accept-encoding': 'gzip' }, 200, gzip.bytes),
        ],
      },
      {
        title: `304, ${CLIENTS} clients`,
        clients: CLIENTS,
        contenders: [
          ng('nginx', { 'if-none-match': ngEtag }, 304, 0),
          ch('charthouse, Basic auth', { authorization: MEMBER, 'if-none-match': etag }, 304, 0),
        ],
      },
      {
        title: '304, 1 client',
        clients: 1,
        contenders: [
          ng('nginx', { 'if-none-match': ngEtag }, 304, 0),
          ch('charthouse, Basic auth', { authorization: MEMBER, 'if-none-match': etag }, 304, 0),
        ],
      },
    ];

    const results = new Map<Contender, Measured[]>();
    for (const group of groups) {
      for (const c of group.contenders) {
        const warm = await measure(c, group.clients, WARMUP_MS);
        if (warm.errors > 0) throw new Error(`${group.title}, ${c.name}: ${warm.firstError}`);
      }
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (const group of groups) {
        for (const c of roundOrder(group.contenders, round)) {
          results.set(c, [...(results.get(c) ?? []), await measure(c, group.clients, SECONDS * 1000)]);
        }
      }
    }

    const rows: string[][] = [];
    for (const group of groups) {
      const reference = results.get(group.contenders.find((c) => c.reference)!)!;
      group.contenders.forEach((c, i) => {
        const rounds = results.get(c)!;
        const errors = rounds.reduce((n, r) => n + r.errors, 0);
        rows.push([
          i === 0 ? group.title : '',
          c.name,
          fmt.rate(median(rounds.map((r) => r.rate))),
          rounds.map((r) => fmt.rate(r.rate)).join(' / '),
          fmt.ms(median(rounds.map((r) => r.p50))),
          fmt.ms(median(rounds.map((r) => r.p95))),
          fmt.ms(median(rounds.map((r) => r.p99))),
          fmt.ms(median(rounds.map((r) => r.cpuMsPerOp))),
          c.reference ? '' : fmt.ratio(median(rounds.map((r, k) => r.rate / reference[k]!.rate))),
          c.reference ? '' : fmt.ratio(median(rounds.map((r, k) => reference[k]!.cpuMsPerOp / r.cpuMsPerOp))),
          errors > 0 ? `${errors} errors: ${rounds.find((r) => r.firstError)?.firstError}` : '',
        ]);
      });
    }
    console.log(
      `\nindex.yaml, ${versions} versions; ${ROUNDS} rounds x ${SECONDS} s per server, interleaved\n\n` +
        table(
          [
            'requests',
            'server',
            'req/s median',
            'per round',
            'p50 ms',
            'p95 ms',
            'p99 ms',
            'server CPU ms/req',
            'ratio CH/nginx (rate)',
            'ratio by CPU/req (nginx/CH)',
            '',
          ],
          rows,
        ) +
        '\n',
    );
  } finally {
    await Promise.all(pools.map((p) => p.close()));
    await nginx.stop();
    await server.close();
  }
  console.log(`Hosted index benchmark done in ${Math.round((performance.now() - started) / 1000)} s.`);
}

await main();
