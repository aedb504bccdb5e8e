import type { ChartIdentity } from './hosted-format.js';

/*
 * Reads a packaged chart's name and version in the browser, so that a successful upload can say
 * "Uploaded webapp 1.2.0" (the ChartMuseum API answers only {"saved":true}). It gunzips the archive as
 * a stream and stops at the top-level Chart.yaml, which helm package writes first. This is a courtesy,
 * not validation: the server checks the archive, and any surprise here yields null.
 */

/** Stop looking after this much tar: a chart's Chart.yaml comes long before. */
const MAX_SCAN_BYTES = 16 * 1024 * 1024;
const BLOCK = 512;

export async function readChartIdentity(archive: Blob): Promise<ChartIdentity | null> {
  try {
    const chartYaml = await findChartYaml(archive.stream().pipeThrough(new DecompressionStream('gzip')));
    return chartYaml === null ? null : identityFromChartYaml(chartYaml);
  } catch {
    return null;
  }
}

async function findChartYaml(tar: ReadableStream<Uint8Array>): Promise<string | null> {
  const reader = tar.getReader();
  let buffer = new Uint8Array(0);
  let scanned = 0;
  // The next header's offset in `buffer`, and the PAX path that overrides it.
  let offset = 0;
  let paxPath: string | null = null;
  try {
    for (;;) {
      while (buffer.length - offset >= BLOCK) {
        const header = buffer.subarray(offset, offset + BLOCK);
        if (header.every((b) => b === 0)) return null; // end of archive
        const size = parseOctal(header.subarray(124, 136));
        const type = String.fromCharCode(header[156] ?? 0);
        const dataEnd = offset + BLOCK + size;
        if (buffer.length < dataEnd) break; // wait for this entry's data
        const data = buffer.subarray(offset + BLOCK, dataEnd);
        const name = paxPath ?? headerPath(header);
        paxPath = null;
        if (type === 'x') paxPath = parsePaxPath(data);
        else if ((type === '0' || type === '\0') && /^[^/]+\/Chart\.yaml$/.test(name.replace(/^\.\//, '')))
          return new TextDecoder().decode(data);
        offset = dataEnd + ((BLOCK - (size % BLOCK)) % BLOCK);
      }
      if (offset > 0 && offset <= buffer.length) {
        buffer = buffer.slice(offset);
        offset = 0;
      }
      const { done, value } = await reader.read();
      if (done) return null;
      scanned += value.length;
      if (scanned > MAX_SCAN_BYTES) return null;
      const next = new Uint8Array(buffer.length + value.length);
      next.set(buffer);
      next.set(value, buffer.length);
      buffer = next;
    }
  } finally {
    void reader.cancel().catch(() => undefined);
  }
}

function headerPath(header: Uint8Array): string {
  const name = cString(header.subarray(0, 100));
  const prefix = cString(header.subarray(345, 500));
  return prefix ? `${prefix}/${name}` : name;
}

function cString(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return new TextDecoder().decode(end === -1 ? bytes : bytes.subarray(0, end));
}

function parseOctal(bytes: Uint8Array): number {
  const n = Number.parseInt(cString(bytes).trim() || '0', 8);
  if (!Number.isFinite(n) || n < 0) throw new Error('bad tar header');
  return n;
}

function parsePaxPath(data: Uint8Array): string | null {
  for (const record of new TextDecoder().decode(data).split('\n')) {
    const match = /^\d+ path=(.*)$/.exec(record);
    if (match) return match[1]!;
  }
  return null;
}

/**
 * `name:` and `version:` at the top level of Chart.yaml, quoted or not. Enough to name the chart in a
 * message; the server parses the YAML properly.
 */
export function identityFromChartYaml(text: string): ChartIdentity | null {
  const field = (key: string): string | null => {
    const match = new RegExp(`^${key}:[ \\t]*(.*)$`, 'm').exec(text.replace(/^\uFEFF/, ''));
    if (!match) return null;
    let value = match[1]!.trim();
    const quoted = /^(["'])(.*)\1$/.exec(value);
    if (quoted) value = quoted[2]!;
    else value = value.replace(/\s+#.*$/, '');
    return value === '' ? null : value;
  };
  const name = field('name');
  const version = field('version');
  return name && version ? { name, version } : null;
}
