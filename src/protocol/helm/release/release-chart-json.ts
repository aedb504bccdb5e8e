import type { ReleaseChart } from './release-record.js';

/*
 * The stored form of a chart found inside a release (discovery keeps it for "Sync discovered charts"):
 * canonical JSON, so the same chart in many releases and revisions is stored once under one digest.
 * File bytes are base64; object keys of the metadata and values are sorted.
 */

interface StoredFile {
  name: string;
  data: string;
}

interface StoredChart {
  metadata: unknown;
  templates: StoredFile[];
  values: unknown;
  schema: string | null;
  files: StoredFile[];
}

export function encodeReleaseChart(chart: ReleaseChart): Buffer {
  const files = (list: ReleaseChart['templates']): StoredFile[] =>
    list.map((f) => ({ name: f.name, data: f.data.toString('base64') }));
  const stored: StoredChart = {
    metadata: sortKeys(chart.metadata),
    templates: files(chart.templates),
    values: sortKeys(chart.values),
    schema: chart.schema === null ? null : chart.schema.toString('base64'),
    files: files(chart.files),
  };
  return Buffer.from(JSON.stringify(stored), 'utf8');
}

/** The inverse of encodeReleaseChart; throws on anything it did not write. */
export function decodeReleaseChart(json: Buffer): ReleaseChart {
  const stored = JSON.parse(json.toString('utf8')) as StoredChart;
  if (!isRecord(stored.metadata) || !isRecord(stored.values) || !Array.isArray(stored.templates))
    throw new Error('not a stored release chart');
  const files = (list: StoredFile[]) =>
    list.map((f) => ({ name: f.name, data: Buffer.from(f.data, 'base64') }));
  return {
    metadata: stored.metadata,
    templates: files(stored.templates),
    values: stored.values,
    schema: stored.schema === null ? null : Buffer.from(stored.schema, 'base64'),
    files: files(stored.files),
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) out[key] = sortKeys(value[key]);
  return out;
}
