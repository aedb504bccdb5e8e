/* Shared fixtures of the chart-version tests (not a test file itself). */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { normalizeIndex, type ChartVersionRecord, type NormalizedIndex } from './chart-version.js';
import { parseHelmIndex } from './index-document.js';

// The corpus sits beside the repository (../shared), wherever the clone lives.
export const CORPUS = new URL('../../../../shared/corpus', import.meta.url).pathname;
export const REPOSITORY = new URL('https://charts.example.com/repo');
export const DIGEST = 'a'.repeat(64);
// eslint-disable-next-line no-control-regex
export const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;

export function normalizeFile(file: string, repositoryUrl: URL = REPOSITORY): NormalizedIndex {
  return normalizeIndex(parseHelmIndex(readFileSync(`${CORPUS}/index/${file}`)), repositoryUrl);
}

export function normalizeYaml(text: string, repositoryUrl: URL = REPOSITORY): NormalizedIndex {
  return normalizeIndex(parseHelmIndex(Buffer.from(text)), repositoryUrl);
}

/** Goes through JSON, which can carry what YAML's safe parse cannot: numbers, NUL, exact control characters. */
export function normalizeEntries(
  entries: Record<string, unknown[]>,
  repositoryUrl: URL = REPOSITORY,
): NormalizedIndex {
  return normalizeIndex(
    parseHelmIndex(Buffer.from(JSON.stringify({ apiVersion: 'v1', entries }))),
    repositoryUrl,
  );
}

export function entry(
  name: string,
  version: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return { apiVersion: 'v2', name, version, urls: [`${name}-${version}.tgz`], digest: DIGEST, ...extra };
}

/** Normalizes one entry under its own name and returns the record (or undefined) and the warning messages. */
export function one(extra: Record<string, unknown>, name = 'demo', version = '1.0.0') {
  const result = normalizeEntries({ [name]: [entry(name, version, extra)] });
  return { record: result.versions[0], warnings: result.warnings.map((warning) => warning.message) };
}

export function find(result: NormalizedIndex, name: string, version: string): ChartVersionRecord {
  const record = result.versions.find((item) => item.name === name && item.version === version);
  assert.ok(record, `${name} ${version} should be kept`);
  return record;
}

export function assertOneWarning(warnings: string[], pattern: RegExp): void {
  assert.equal(warnings.length, 1, `expected one warning, got ${JSON.stringify(warnings)}`);
  assert.match(warnings[0]!, pattern);
}

export function withoutKeys(record: ChartVersionRecord): Omit<ChartVersionRecord, 'sortKey' | 'contentHash'> {
  const { sortKey: _sortKey, contentHash: _contentHash, ...body } = record;
  return body;
}
