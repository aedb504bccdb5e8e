/**
 * Scalar rules of the block-YAML reader (block-yaml.ts): which plain scalars are null or booleans in
 * the index schema (index-document.ts: every other scalar is a string), what a plain scalar may start
 * with, and the escapes of double-quoted scalars (YAML 1.2, section 5.7).
 */

const NULLS = new Set(['', '~', 'null', 'Null', 'NULL']);
const BOOLS = new Map([
  ['true', true],
  ['True', true],
  ['TRUE', true],
  ['false', false],
  ['False', false],
  ['FALSE', false],
]);

/** First characters a plain scalar or key cannot start with here (YAML indicators, and what we leave alone). */
export const NOT_PLAIN_START = new Set([...'-?:,[]{}#&*!|>\'"%@`'].map((c) => c.charCodeAt(0)));

export const ESCAPES: Record<string, string> = {
  '0': '\x00',
  a: '\x07',
  b: '\x08',
  t: '\t',
  n: '\n',
  v: '\x0b',
  f: '\x0c',
  r: '\r',
  e: '\x1b',
  ' ': ' ',
  '"': '"',
  '/': '/',
  '\\': '\\',
  N: '\x85',
  _: '\xa0',
  L: '\u2028',
  P: '\u2029',
};
export const HEX_ESCAPES: Record<string, number> = { x: 2, u: 4, U: 8 };

/** A plain scalar as the index schema reads it: null, a boolean, or the text itself. */
export function resolvePlain(text: string): string | boolean | null {
  // Only these first letters (or nothing) can make a null or a boolean: most scalars stop here.
  const c = text.charCodeAt(0);
  if (
    text.length > 5 ||
    (text.length > 0 && c !== 126 && c !== 110 && c !== 78 && c !== 116 && c !== 84 && c !== 102 && c !== 70)
  ) {
    return text;
  }
  if (NULLS.has(text)) return null;
  const bool = BOOLS.get(text);
  return bool === undefined ? text : bool;
}
