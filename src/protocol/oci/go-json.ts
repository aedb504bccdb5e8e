/**
 * JSON exactly as Go's `encoding/json.Marshal` writes it, for blobs whose digest must match what helm
 * computes (the config blob and the manifest): compact, object keys in the order given (a Go struct's
 * field order), maps with keys sorted by bytes, and Go's HTML-safe escaping (`<` `>` `&` as \u003c
 * \u003e \u0026, U+2028/U+2029 as \u2028/\u2029). Other escapes match JSON.stringify's since Go 1.22
 * (`\b`, `\f`, `\n`, `\r`, `\t`, else `\u00xx` with lowercase hex).
 */

export type GoJsonValue = string | number | boolean | null | GoJsonValue[] | GoStruct | GoMap;

/** Fields in their declared order; undefined ones are left out (omitempty is the caller's job). */
export class GoStruct {
  constructor(readonly fields: ReadonlyArray<readonly [string, GoJsonValue | undefined]>) {}
}

/** A Go map: keys are written sorted by their bytes, whatever the insertion order. */
export class GoMap {
  constructor(readonly entries: Readonly<Record<string, GoJsonValue>>) {}
}

const HTML_UNSAFE = /[<>&\u2028\u2029]/g;
const ESCAPED: Record<string, string> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

export function goJsonString(text: string): string {
  // Lone surrogates: Go writes invalid UTF-8 as U+FFFD; JSON.stringify would write `\udxxx`.
  const wellFormed = text.replace(
    /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g,
    '\ufffd',
  );
  return JSON.stringify(wellFormed).replace(HTML_UNSAFE, (c) => ESCAPED[c]!);
}

function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

export function goJson(value: GoJsonValue): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return goJsonString(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    // Only integers occur here (sizes, schemaVersion); Go's float formatting is not reproduced.
    if (!Number.isSafeInteger(value)) throw new Error(`goJson: ${value} is not a safe integer`);
    return String(value);
  }
  if (Array.isArray(value)) return `[${value.map(goJson).join(',')}]`;
  if (value instanceof GoStruct) {
    const parts: string[] = [];
    for (const [key, field] of value.fields) {
      if (field !== undefined) parts.push(`${goJsonString(key)}:${goJson(field)}`);
    }
    return `{${parts.join(',')}}`;
  }
  const keys = Object.keys(value.entries).sort(byteOrder);
  return `{${keys.map((key) => `${goJsonString(key)}:${goJson(value.entries[key]!)}`).join(',')}}`;
}
