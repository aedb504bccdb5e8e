/**
 * A block-style index cut into its charts, on the bytes, before any parse. Index generators (Helm,
 * chart-releaser, ChartMuseum, js-yaml's dump) write `entries:` at the top level and one chart key per
 * line below it at one indentation, each followed by its versions on deeper lines (or, as go-yaml
 * writes them, a `- ` sequence at the key's own column). In YAML's block style such a chart's value is
 * made of its own lines only, so a chart can be parsed alone, as the one chart of a document
 * `entries:\n<its lines>` of the same shape and depth (index-document.ts parseIndexChart), and a chart
 * whose lines are byte for byte those of the last sync need not be parsed at all.
 *
 * Anything outside that shape (tabs, CRs, a byte order mark, document markers or directives, a
 * top-level line that is not a plain `key:`, an `entries:` with an inline value, a chart key that is not
 * a plain chart name or that comes twice) returns null: the caller parses the whole document as before.
 *
 * The JSON form (`helm repo index --json`) is cut the same way, at the members of its `entries` object:
 * a chart is then the one member of `{"entries":{<its member>}}`.
 */

import { createHash } from 'node:crypto';

export interface IndexChunk {
  /** The chart key as written (a plain chart name; the parse confirms it). */
  name: string;
  /** Byte offsets of the chart's lines in the body: its key line up to the next chart or the end. */
  start: number;
  end: number;
}

export interface IndexChunks {
  format: 'yaml' | 'json';
  /**
   * The document without its charts: every line outside `entries`, and the `entries:` line itself (in
   * JSON: `entries` as an empty object).
   */
  head: Buffer;
  /** The charts in document order. */
  charts: IndexChunk[];
}

const NL = 0x0a;
const SP = 0x20;
const HASH = 0x23;
const DASH = 0x2d;
const COLON = 0x3a;

const ENTRIES_LINE = Buffer.from('entries:');
/** A top-level key line: a plain key (no quotes, flow or indicator characters first), then `:`. */
const TOP_LEVEL_KEY = /^[A-Za-z_][A-Za-z0-9_.-]*:(?: |$)/;
/** A chart key line below `entries:` (after its indentation): a chart name, `:`, nothing else. */
const CHART_KEY = /^([A-Za-z0-9_][A-Za-z0-9._-]*):$/;

function indentAt(body: Buffer, start: number, end: number): number {
  let i = start;
  while (i < end && body[i] === SP) i += 1;
  return i - start;
}

/** Splits an index at its charts, or null when it is not in a shape that splits (see above). */
export function splitIndex(body: Buffer): IndexChunks | null {
  let first = 0;
  while (isJsonSpace(body[first])) first += 1;
  return body[first] === OPEN_BRACE ? splitJson(body, first) : splitYaml(body);
}

function splitYaml(body: Buffer): IndexChunks | null {
  if (body.includes(0x09) || body.includes(0x0d)) return null;
  const charts: IndexChunk[] = [];
  const names = new Set<string>();
  // Byte ranges of the head: before the entries' lines, and after them.
  let entriesEnd = -1; // just past the `entries:` line
  let trailerStart = body.length;
  let chartIndent = -1;
  let current: IndexChunk | null = null;
  let sawEntries = false;
  for (let start = 0; start < body.length;) {
    const newline = body.indexOf(NL, start);
    const end = newline === -1 ? body.length : newline;
    const next = newline === -1 ? body.length : newline + 1;
    const indent = indentAt(body, start, end);
    const first = body[start + indent];
    // Blank and comment lines change no parse: they stay with whatever they stand in.
    if (start + indent >= end || first === HASH) {
      start = next;
      continue;
    }
    if (indent === 0) {
      const line = body.toString('latin1', start, Math.min(end, start + 256));
      if (!TOP_LEVEL_KEY.test(line)) return null;
      if (sawEntries && trailerStart === body.length) {
        // The first top-level key after the charts ends them.
        if (current) current.end = start;
        current = null;
        trailerStart = start;
      }
      if (
        end - start === ENTRIES_LINE.length &&
        body.compare(ENTRIES_LINE, 0, ENTRIES_LINE.length, start, end) === 0
      ) {
        if (sawEntries) return null; // a second `entries` is the parser's to refuse
        sawEntries = true;
        entriesEnd = next;
        trailerStart = body.length;
      } else if (line.startsWith('entries:')) {
        return null; // `entries:` with an inline value or a comment: not worth cutting
      }
      start = next;
      continue;
    }
    if (!sawEntries || trailerStart !== body.length) {
      // A deeper line in the head (a nested top-level value): fine, the head parse reads it.
      start = next;
      continue;
    }
    if (chartIndent === -1) chartIndent = indent;
    if (indent < chartIndent) return null;
    if (indent === chartIndent) {
      if (first === DASH && (start + indent + 1 >= end || body[start + indent + 1] === SP)) {
        // go-yaml's sequence at the key's column: the current chart's versions.
        if (current === null) return null;
      } else {
        const text = body.toString('latin1', start + indent, Math.min(end, start + indent + 300));
        const key = CHART_KEY.exec(text)?.[1];
        if (key === undefined || body[end - 1] !== COLON || names.has(key)) return null;
        names.add(key);
        if (current) current.end = start;
        current = { name: key, start, end: body.length };
        charts.push(current);
      }
    } else if (current === null) {
      return null;
    }
    start = next;
  }
  if (!sawEntries) return null;
  const head =
    trailerStart === body.length
      ? body.subarray(0, entriesEnd)
      : Buffer.concat([body.subarray(0, entriesEnd), body.subarray(trailerStart)]);
  return { format: 'yaml', head, charts };
}

// ---- JSON

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

function isJsonSpace(c: number | undefined): boolean {
  return c === SP || c === NL || c === 0x0d || c === 0x09;
}

function skipSpace(body: Buffer, at: number): number {
  let i = at;
  while (isJsonSpace(body[i])) i += 1;
  return i;
}

/** Just past the JSON string whose opening quote is at `at`, or -1. */
function stringEnd(body: Buffer, at: number): number {
  for (let i = at + 1; ;) {
    const quote = body.indexOf(QUOTE, i);
    if (quote === -1) return -1;
    let slashes = 0;
    for (let k = quote - 1; body[k] === BACKSLASH; k -= 1) slashes += 1;
    if (slashes % 2 === 0) return quote + 1;
    i = quote + 1;
  }
}

/** Just past the object or array that opens at `at` (its strings skipped whole), or -1. */
function containerEnd(body: Buffer, at: number): number {
  let depth = 0;
  for (let i = at; i < body.length; i += 1) {
    const c = body[i];
    if (c === QUOTE) {
      const end = stringEnd(body, i);
      if (end === -1) return -1;
      i = end - 1;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      depth += 1;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth -= 1;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

/** Just past the scalar (string, number, literal) that starts at `at`, or -1. */
function scalarEnd(body: Buffer, at: number): number {
  if (body[at] === QUOTE) return stringEnd(body, at);
  let i = at;
  while (i < body.length && body[i] !== COMMA && body[i] !== CLOSE_BRACE && !isJsonSpace(body[i])) i += 1;
  return i > at ? i : -1;
}

/** The top-level object's members, `entries` cut into its charts; JSON.parse judges everything else. */
function splitJson(body: Buffer, open: number): IndexChunks | null {
  let entries: { start: number; end: number; charts: IndexChunk[] } | null = null;
  let i = open + 1;
  for (;;) {
    i = skipSpace(body, i);
    if (body[i] === CLOSE_BRACE) break;
    if (body[i] !== QUOTE) return null;
    const keyEnd = stringEnd(body, i);
    if (keyEnd === -1) return null;
    const key = body.toString('utf8', i, keyEnd);
    i = skipSpace(body, keyEnd);
    if (body[i] !== COLON) return null;
    i = skipSpace(body, i + 1);
    let valueEnd: number;
    if (key === '"entries"') {
      // A second `entries` (JSON.parse keeps the last one), or one written with escapes: not cut.
      if (entries !== null || body[i] !== OPEN_BRACE) return null;
      entries = jsonCharts(body, i);
      if (entries === null) return null;
      valueEnd = entries.end;
    } else if (key.includes('\\')) {
      return null;
    } else {
      valueEnd =
        body[i] === OPEN_BRACE || body[i] === OPEN_BRACKET ? containerEnd(body, i) : scalarEnd(body, i);
    }
    if (valueEnd === -1) return null;
    i = skipSpace(body, valueEnd);
    if (body[i] === COMMA) i += 1;
    else if (body[i] !== CLOSE_BRACE) return null;
  }
  if (entries === null || skipSpace(body, i + 1) !== body.length) return null;
  const head = Buffer.concat([
    body.subarray(0, entries.start),
    Buffer.from('{}'),
    body.subarray(entries.end),
  ]);
  // Valid JSON or not decides how the whole document reads (a YAML flow mapping keeps `1` as text):
  // only a head JSON.parse reads is cut, so that the charts can be read with JSON.parse too.
  try {
    JSON.parse(head.toString('utf8'));
  } catch {
    return null;
  }
  return { format: 'json', head, charts: entries.charts };
}

/** The members of the `entries` object that opens at `at`: each a chart, its value a list. */
function jsonCharts(body: Buffer, at: number): { start: number; end: number; charts: IndexChunk[] } | null {
  const charts: IndexChunk[] = [];
  const names = new Set<string>();
  let i = at + 1;
  for (;;) {
    i = skipSpace(body, i);
    if (body[i] === CLOSE_BRACE && charts.length === 0) return { start: at, end: i + 1, charts };
    if (body[i] !== QUOTE) return null;
    const start = i;
    const keyEnd = stringEnd(body, i);
    if (keyEnd === -1) return null;
    let name: unknown;
    try {
      name = JSON.parse(body.toString('utf8', i, keyEnd));
    } catch {
      return null;
    }
    if (typeof name !== 'string' || names.has(name)) return null;
    names.add(name);
    i = skipSpace(body, keyEnd);
    if (body[i] !== COLON) return null;
    i = skipSpace(body, i + 1);
    if (body[i] !== OPEN_BRACKET) return null;
    const end = containerEnd(body, i);
    if (end === -1) return null;
    charts.push({ name, start, end });
    i = skipSpace(body, end);
    if (body[i] === CLOSE_BRACE) return { start: at, end: i + 1, charts };
    if (body[i] !== COMMA) return null;
    i += 1;
  }
}

/**
 * A chart's lines as a digest, under `salt` (what else decides the chart's records: the repository URL
 * its relative URLs resolve against, the normalization's revision): equal digests, equal records.
 */
export function chunkDigest(salt: string, body: Buffer, chunk: IndexChunk): string {
  return createHash('sha256').update(salt).update(body.subarray(chunk.start, chunk.end)).digest('base64');
}
