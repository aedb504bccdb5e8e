/**
 * How much the safe index parse and the normalization cost next to js-yaml alone (issue 4's target: the
 * whole sync under 1.5x `js-yaml.load`; parse + normalize should stay well under that).
 *
 *   node --expose-gc --import tsx bench/normalize.bench.ts [--charts 250] [--versions 80] [--runs 5]
 *
 * Generates the 20,000-version index with ../shared/tools/gen-index.mjs (override with GEN_INDEX=path)
 * into a temporary folder, then times each step in one process, rounds interleaved so that background
 * load hits every step alike, and prints medians of wall time and of CPU time (user + system, garbage
 * collector threads included), the steadier of the two on a shared machine. js-yaml gets the decoded
 * text; our steps start from the bytes (as a sync does), so the decode counts against us.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import yaml from 'js-yaml';
import { normalizeIndex } from '../src/protocol/helm/chart-version.js';
import { parseHelmIndex } from '../src/protocol/helm/index-document.js';

const { values: args } = parseArgs({
  options: {
    charts: { type: 'string', default: '250' },
    versions: { type: 'string', default: '80' },
    runs: { type: 'string', default: '5' },
  },
});
const runs = Number(args.runs);
const generator =
  process.env['GEN_INDEX'] ?? fileURLToPath(new URL('../../shared/tools/gen-index.mjs', import.meta.url));
const repositoryUrl = new URL('https://charts.example.test/stable');

function generate(dir: string, format: 'yaml' | 'json'): Buffer {
  const out = join(dir, `index.${format}`);
  execFileSync(process.execPath, [
    generator,
    '--charts',
    args.charts,
    '--versions',
    args.versions,
    '--format',
    format,
    '--out',
    out,
  ]);
  return readFileSync(out);
}

const collectGarbage = (globalThis as { gc?: () => void }).gc ?? (() => undefined);

interface Step {
  label: string;
  run: () => unknown;
  wall: number[];
  cpu: number[];
}

function step(label: string, run: () => unknown): Step {
  return { label, run, wall: [], cpu: [] };
}

function cpuMilliseconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

function median(times: number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

const dir = mkdtempSync(join(tmpdir(), 'charthouse-bench-'));
try {
  const yamlBytes = generate(dir, 'yaml');
  const jsonBytes = generate(dir, 'json');
  const yamlText = yamlBytes.toString('utf8');
  const jsonText = jsonBytes.toString('utf8');

  const check = normalizeIndex(parseHelmIndex(yamlBytes), repositoryUrl);
  console.log(
    `index: ${(yamlBytes.length / 1e6).toFixed(1)} MB YAML, ${(jsonBytes.length / 1e6).toFixed(1)} MB JSON, ` +
      `${check.versions.length} versions kept, ${check.warnings.length} warnings; ` +
      `median of ${runs} runs (after one warm-up), node ${process.version}`,
  );

  const steps = [
    step('YAML  js-yaml load (default schema)', () => yaml.load(yamlText)),
    step('YAML  parseHelmIndex', () => parseHelmIndex(yamlBytes)),
    step('YAML  parseHelmIndex + normalizeIndex', () =>
      normalizeIndex(parseHelmIndex(yamlBytes), repositoryUrl),
    ),
    step('JSON  JSON.parse', () => JSON.parse(jsonText)),
    step('JSON  js-yaml load (default schema)', () => yaml.load(jsonText)),
    step('JSON  parseHelmIndex', () => parseHelmIndex(jsonBytes)),
    step('JSON  parseHelmIndex + normalizeIndex', () =>
      normalizeIndex(parseHelmIndex(jsonBytes), repositoryUrl),
    ),
  ];
  for (let round = 0; round <= runs; round += 1) {
    for (const current of steps) {
      collectGarbage();
      const start = performance.now();
      const startCpu = cpuMilliseconds();
      current.run();
      const elapsed = performance.now() - start;
      const elapsedCpu = cpuMilliseconds() - startCpu;
      if (round > 0) {
        current.wall.push(elapsed);
        current.cpu.push(elapsedCpu);
      }
    }
  }

  const baseline = { wall: median(steps[0]!.wall), cpu: median(steps[0]!.cpu) };
  const rows = steps.map((current) => {
    const wall = median(current.wall);
    const cpu = median(current.cpu);
    return [
      current.label,
      `${wall.toFixed(0)} ms`,
      `${(wall / baseline.wall).toFixed(2)}x`,
      `${cpu.toFixed(0)} ms`,
      `${(cpu / baseline.cpu).toFixed(2)}x`,
    ];
  });
  const header = ['step', 'wall', 'vs js-yaml', 'cpu', 'vs js-yaml'];
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]!.length)),
  );
  const line = (cells: string[]): string =>
    cells
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[0]!) : cell.padStart(widths[column]!)))
      .join('  ');
  console.log(line(header));
  for (const row of rows) console.log(line(row));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
