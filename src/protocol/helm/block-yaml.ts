/**
 * A fast reader for the block-style YAML that index generators write (Helm through go-yaml, js-yaml's
 * dump, chart-releaser, ChartMuseum): block mappings and sequences, plain, single- and double-quoted
 * scalars (folded over lines too), literal and folded block scalars, empty `[]` and `{}`. It reads
 * such a document three to four times faster than js-yaml, whose general machinery (events, schema
 * lookups, position tracking) dominates a 25 MB index.
 *
 * It does not decide anything js-yaml would decide differently: whatever lies outside that subset
 * (anchors, aliases, tags, directives, several documents, non-empty flow collections, quoted or complex
 * keys, tabs, CR line ends, duplicate keys, questionable plain scalars) makes it give up, and the caller
 * parses the document with js-yaml, whose result or error stands. Scalars resolve as in the index
 * schema (index-document.ts): null and booleans from plain scalars, every other scalar a string.
 * block-yaml.test.ts checks it against js-yaml on every index of the corpus and on generated documents.
 */

import { ESCAPES, HEX_ESCAPES, NOT_PLAIN_START, resolvePlain } from './yaml-scalars.js';

/** Returned when the document is outside the subset. */
export const UNSUPPORTED: unique symbol = Symbol('unsupported');

class GiveUp extends Error {}
const giveUp = (): never => {
  throw new GiveUp();
};

const NL = 10;
const SP = 32;
const HASH = 35;
const DASH = 45;
const COLON = 58;

class Reader {
  /** Start of the current line. */
  private line = 0;

  constructor(
    private readonly s: string,
    private readonly maxDepth: number,
  ) {}

  parseDocument(): unknown {
    this.skipEmptyLines();
    if (this.line >= this.s.length) giveUp();
    const indent = this.indentAt(this.line);
    if (indent !== 0) giveUp();
    // A document that is not a mapping is no index: js-yaml words the error.
    if (this.keyEnd(this.line) === -1) giveUp();
    const root = this.blockNode(0, 0, 1);
    this.skipEmptyLines();
    if (this.line < this.s.length) giveUp();
    return root;
  }

  // ---- lines

  private indentAt(lineStart: number): number {
    let i = lineStart;
    while (this.s.charCodeAt(i) === SP) i += 1;
    return i - lineStart;
  }

  private lineEnd(from: number): number {
    const i = this.s.indexOf('\n', from);
    return i === -1 ? this.s.length : i;
  }

  private nextLine(from: number): number {
    const i = this.s.indexOf('\n', from);
    return i === -1 ? this.s.length : i + 1;
  }

  /** Whether the line at `start` holds nothing but spaces or a comment. */
  private isEmptyLine(start: number): boolean {
    const i = start + this.indentAt(start);
    const c = this.s.charCodeAt(i);
    return i >= this.s.length || c === NL || c === HASH;
  }

  /** Moves past empty and comment lines; documents with markers or directives are left to js-yaml. */
  private skipEmptyLines(): void {
    while (this.line < this.s.length && this.isEmptyLine(this.line)) this.line = this.nextLine(this.line);
    if (this.line < this.s.length) {
      const c = this.s.charCodeAt(this.line);
      if (c === 37 /* % */ || this.s.startsWith('---', this.line) || this.s.startsWith('...', this.line)) {
        giveUp();
      }
    }
  }

  // ---- nodes

  /**
   * The block node that starts at column `col` of the current line (`at` is its offset): a sequence, a
   * mapping, or a scalar. `parent` is the indentation it must exceed on later lines.
   */
  private blockNode(at: number, parent: number, depth: number): unknown {
    if (depth > this.maxDepth) giveUp();
    const col = at - this.line;
    const c = this.s.charCodeAt(at);
    if (c === DASH && this.isSpaceOrEnd(at + 1)) return this.sequence(col, depth);
    const colon = this.keyEnd(at);
    if (colon !== -1) return this.mapping(col, colon, depth);
    return this.scalar(at, parent);
  }

  private isSpaceOrEnd(i: number): boolean {
    const c = this.s.charCodeAt(i);
    return i >= this.s.length || c === SP || c === NL;
  }

  /** Where the `:` of a plain key starting at `at` is, or -1 when the line holds no plain key there. */
  private keyEnd(at: number): number {
    const s = this.s;
    const c = s.charCodeAt(at);
    if (at >= s.length || NOT_PLAIN_START.has(c) || c === SP || c === NL) return -1;
    // Char codes up to the line's end: no slice, and never past the line.
    for (let i = at + 1; i < s.length; i += 1) {
      const ch = s.charCodeAt(i);
      if (ch === NL) return -1;
      if (ch === COLON) {
        const next = s.charCodeAt(i + 1);
        if (next === SP || next === NL || i + 1 >= s.length) return i;
      } else if (ch === HASH && s.charCodeAt(i - 1) === SP) {
        return -1; // " #" before any colon: the rest is a comment
      }
    }
    return -1;
  }

  private sequence(col: number, depth: number): unknown[] {
    const items: unknown[] = [];
    for (;;) {
      // The current line holds "-" at `col`.
      let at = this.line + col + 1;
      while (this.s.charCodeAt(at) === SP) at += 1;
      if (at >= this.s.length || this.s.charCodeAt(at) === NL || this.s.charCodeAt(at) === HASH) {
        if (this.s.charCodeAt(at) === HASH && this.s.charCodeAt(at - 1) !== SP) giveUp();
        this.line = this.nextLine(at);
        items.push(this.nestedNode(col, depth + 1, false));
      } else {
        items.push(this.blockNode(at, col, depth + 1));
      }
      this.skipEmptyLines();
      if (this.line >= this.s.length) break;
      const indent = this.indentAt(this.line);
      if (indent < col) break;
      if (indent > col) giveUp();
      const c = this.s.charCodeAt(this.line + col);
      if (c !== DASH || !this.isSpaceOrEnd(this.line + col + 1)) break;
    }
    return items;
  }

  private mapping(col: number, firstColon: number, depth: number): Record<string, unknown> {
    const map: Record<string, unknown> = {};
    let at = this.line + col;
    let colon = firstColon;
    for (;;) {
      const key = this.s.slice(at, colon).trimEnd();
      // Keys that resolve to null or a boolean, or that js-yaml stores specially, are left to js-yaml.
      if (resolvePlain(key) !== key || key === '__proto__') giveUp();
      if (Object.prototype.hasOwnProperty.call(map, key)) giveUp();
      let v = colon + 1;
      while (this.s.charCodeAt(v) === SP) v += 1;
      const c = this.s.charCodeAt(v);
      if (v >= this.s.length || c === NL || c === HASH) {
        if (c === HASH && this.s.charCodeAt(v - 1) !== SP) giveUp();
        this.line = this.nextLine(v);
        map[key] = this.nestedNode(col, depth + 1, true);
      } else {
        if (c === DASH && this.isSpaceOrEnd(v + 1)) giveUp();
        // plain() refuses "a: b: c", an error js-yaml reports.
        map[key] = this.scalar(v, col);
      }
      this.skipEmptyLines();
      if (this.line >= this.s.length) break;
      const indent = this.indentAt(this.line);
      if (indent < col) break;
      if (indent > col) giveUp();
      const first = this.s.charCodeAt(this.line + col);
      // A "- " here belongs to an enclosing sequence, or is an error; either way not this mapping's.
      if (first === DASH && this.isSpaceOrEnd(this.line + col + 1)) break;
      at = this.line + col;
      colon = this.keyEnd(at);
      if (colon === -1) giveUp();
    }
    return map;
  }

  /**
   * The value of a key or item whose line ended: a block node on the following lines, indented deeper
   * than `parent` (or, for a mapping value, a sequence at the key's own column); null when there is none.
   */
  private nestedNode(parent: number, depth: number, mappingValue: boolean): unknown {
    this.skipEmptyLines();
    if (this.line >= this.s.length) return null;
    const indent = this.indentAt(this.line);
    const at = this.line + indent;
    const dash = this.s.charCodeAt(at) === DASH && this.isSpaceOrEnd(at + 1);
    if (indent > parent || (mappingValue && indent === parent && dash)) {
      const node = this.blockNode(at, parent, depth);
      return node;
    }
    return null;
  }

  // ---- scalars

  /** A scalar starting at `at` on the current line; leaves `line` at the line after it. */
  private scalar(at: number, parent: number): unknown {
    const c = this.s.charCodeAt(at);
    if (c === 34 /* " */) return this.quoted(at, parent, true);
    if (c === 39 /* ' */) return this.quoted(at, parent, false);
    if (c === 124 /* | */ || c === 62 /* > */) return this.blockScalar(at, parent);
    if (c === 91 /* [ */ || c === 123 /* { */) {
      const close = c === 91 ? ']' : '}';
      if (this.s[at + 1] !== close) giveUp();
      this.endOfLine(at + 2);
      return c === 91 ? [] : {};
    }
    if (NOT_PLAIN_START.has(c)) giveUp();
    return this.plain(at, parent);
  }

  /** After a scalar: only spaces or a comment may follow on its line. */
  private endOfLine(from: number): void {
    let i = from;
    while (this.s.charCodeAt(i) === SP) i += 1;
    const c = this.s.charCodeAt(i);
    if (i < this.s.length && c !== NL) {
      if (c !== HASH || i === from) giveUp();
    }
    this.line = this.nextLine(i);
  }

  private plain(at: number, parent: number): unknown {
    const lineEnd = this.lineEnd(at);
    const line = this.s.slice(at, lineEnd);
    const hash = line.indexOf(' #');
    let text = (hash === -1 ? line : line.slice(0, hash)).trimEnd();
    if (text.includes(': ') || text.endsWith(':')) giveUp();
    this.line = this.nextLine(at);
    if (hash !== -1) {
      // A comment ends the scalar; a deeper line after it would be an error.
      this.rejectDeeperLine(parent);
      return resolvePlain(text);
    }
    // Continuation lines, deeper than the parent, fold into one text. Empty lines read past at the end
    // are empty lines the caller would skip anyway.
    let breaks = 0;
    let folded = false;
    for (;;) {
      if (this.line >= this.s.length) break;
      const indent = this.indentAt(this.line);
      const start = this.line + indent;
      const end = this.lineEnd(this.line);
      if (start >= end) {
        breaks += 1;
        this.line = this.nextLine(this.line);
        continue;
      }
      if (indent <= parent) break;
      const content = this.s.slice(start, end).trimEnd();
      if (
        content.charCodeAt(0) === HASH ||
        content.includes(': ') ||
        content.endsWith(':') ||
        content.includes(' #') ||
        content.startsWith('---') ||
        content.startsWith('...')
      ) {
        giveUp();
      }
      text += breaks === 0 ? ` ${content}` : '\n'.repeat(breaks) + content;
      breaks = 0;
      folded = true;
      this.line = this.nextLine(this.line);
    }
    return folded ? text : resolvePlain(text);
  }

  private rejectDeeperLine(parent: number): void {
    this.skipEmptyLines();
    if (this.line < this.s.length && this.indentAt(this.line) > parent) giveUp();
  }

  private quoted(at: number, parent: number, double: boolean): string {
    const quote = double ? '"' : "'";
    // Most quoted scalars are one line without escapes: one slice.
    const close = this.s.indexOf(quote, at + 1);
    const lineEnd0 = this.lineEnd(at);
    if (close !== -1 && close < lineEnd0 && this.s.charCodeAt(close + 1) !== (double ? -1 : 39)) {
      const body = this.s.slice(at + 1, close);
      if (!(double ? body.includes('\\') : body.includes("'"))) {
        this.endOfLineAfterQuote(close + 1);
        return body;
      }
    }
    let out = '';
    let i = at + 1;
    let firstLine = true;
    for (;;) {
      const lineEnd = this.lineEnd(i);
      // Read this line's part up to its end or the closing quote.
      let segment = '';
      let closed = -1;
      let escapedBreak = false;
      let k = i;
      while (k < lineEnd) {
        const ch = this.s[k]!;
        if (ch === quote) {
          if (!double && this.s[k + 1] === "'") {
            segment += "'";
            k += 2;
            continue;
          }
          closed = k;
          break;
        }
        if (double && ch === '\\') {
          const e = this.s[k + 1];
          // An escaped space at a line's end survives folding; not worth the rule here.
          if (e === ' ' && this.s.slice(k + 2, lineEnd).trim() === '') giveUp();
          if (e === undefined || k + 1 >= lineEnd) {
            escapedBreak = true;
            k = lineEnd;
            break;
          }
          const simple = ESCAPES[e];
          if (simple !== undefined) {
            segment += simple;
            k += 2;
            continue;
          }
          const digits = HEX_ESCAPES[e];
          if (digits === undefined) giveUp();
          const hex = this.s.slice(k + 2, k + 2 + digits!);
          if (hex.length !== digits || !/^[0-9a-fA-F]+$/.test(hex)) giveUp();
          const code = Number.parseInt(hex, 16);
          if (code > 0x10ffff) giveUp();
          segment += String.fromCodePoint(code);
          k += 2 + digits!;
          continue;
        }
        segment += ch;
        k += 1;
      }
      if (closed !== -1) {
        out += firstLine ? segment : segment.replace(/^ +/, '');
        this.endOfLineAfterQuote(closed + 1);
        return out;
      }
      // The scalar goes on: fold the line break.
      let part = firstLine ? segment : segment.replace(/^ +/, '');
      if (!escapedBreak) part = part.replace(/ +$/, '');
      out += part;
      firstLine = false;
      let next = this.nextLine(lineEnd);
      if (next >= this.s.length) giveUp();
      let breaks = 0;
      while (next < this.s.length && this.isBlankLine(next)) {
        breaks += 1;
        next = this.nextLine(next);
      }
      if (next >= this.s.length || this.indentAt(next) <= parent) giveUp();
      if (this.s.startsWith('---', next) || this.s.startsWith('...', next)) giveUp();
      if (escapedBreak) {
        if (breaks > 0) out += '\n'.repeat(breaks);
      } else {
        out += breaks === 0 ? ' ' : '\n'.repeat(breaks);
      }
      i = next + this.indentAt(next);
      // An escaped break keeps the next line's leading spaces out as well: they were skipped above.
    }
  }

  private isBlankLine(start: number): boolean {
    const i = start + this.indentAt(start);
    return i >= this.s.length || this.s.charCodeAt(i) === NL;
  }

  private endOfLineAfterQuote(from: number): void {
    let i = from;
    while (this.s.charCodeAt(i) === SP) i += 1;
    const c = this.s.charCodeAt(i);
    if (i < this.s.length && c !== NL) {
      if (c === COLON || c !== HASH || i === from) giveUp();
    }
    this.line = this.nextLine(i);
  }

  /** `|` and `>` with optional chomping (`-`, `+`) and indentation (1-9) indicators. */
  private blockScalar(at: number, parent: number): string {
    const literal = this.s.charCodeAt(at) === 124;
    let i = at + 1;
    let chomp: 'clip' | 'strip' | 'keep' = 'clip';
    let explicit = 0;
    for (let n = 0; n < 2; n += 1) {
      const ch = this.s[i];
      if (ch === '-' || ch === '+') {
        chomp = ch === '-' ? 'strip' : 'keep';
        i += 1;
      } else if (ch !== undefined && ch >= '1' && ch <= '9') {
        explicit = Number(ch);
        i += 1;
      }
    }
    this.endOfLine(i);
    // Content lines: deeper than the parent; the first non-empty one sets the indentation.
    const lines: string[] = [];
    let indent = explicit > 0 ? parent + explicit : 0;
    let maxLeadingEmpty = 0;
    for (;;) {
      if (this.line >= this.s.length) break;
      const lineEnd = this.lineEnd(this.line);
      const spaces = this.indentAt(this.line);
      const blank = this.line + spaces >= lineEnd;
      if (indent === 0) {
        if (blank) {
          maxLeadingEmpty = Math.max(maxLeadingEmpty, spaces);
          lines.push('');
          this.line = this.nextLine(this.line);
          continue;
        }
        if (spaces <= parent) break;
        if (maxLeadingEmpty > spaces) giveUp();
        indent = spaces;
      }
      if (blank) {
        if (spaces > indent) giveUp(); // whitespace kept in a blank line: left to js-yaml
        lines.push('');
        this.line = this.nextLine(this.line);
        continue;
      }
      if (spaces < indent) break;
      lines.push(this.s.slice(this.line + indent, lineEnd));
      this.line = this.nextLine(this.line);
    }
    // Trailing empty lines belong to the chomping, not the content.
    let last = lines.length;
    while (last > 0 && lines[last - 1] === '') last -= 1;
    const trailing = lines.length - last;
    const content = lines.slice(0, last);
    let text: string;
    if (literal) {
      text = content.join('\n');
    } else {
      if (content.some((l) => l.startsWith(' '))) giveUp(); // more-indented folded lines: left to js-yaml
      text = '';
      let pendingBreaks = 0;
      for (const [n, l] of content.entries()) {
        if (l === '') {
          pendingBreaks += 1;
          continue;
        }
        if (n > 0) text += pendingBreaks > 0 ? '\n'.repeat(pendingBreaks) : ' ';
        pendingBreaks = 0;
        text += l;
      }
    }
    if (content.length === 0) return chomp === 'keep' ? '\n'.repeat(trailing) : '';
    if (chomp === 'strip') return text;
    if (chomp === 'clip') return `${text}\n`;
    return `${text}\n${'\n'.repeat(trailing)}`;
  }
}

/**
 * Reads `text` if it is within the subset, else returns {@link UNSUPPORTED} (never throws for bad
 * input: errors are js-yaml's to report). Nesting deeper than `maxDepth` is also left to js-yaml.
 */
export function readBlockYaml(text: string, maxDepth: number): unknown {
  // Tabs and CRs change indentation and folding rules in ways not worth repeating here.
  if (text.includes('\t') || text.includes('\r')) return UNSUPPORTED;
  try {
    return new Reader(text, maxDepth).parseDocument();
  } catch (error) {
    if (error instanceof GiveUp || error instanceof RangeError) return UNSUPPORTED;
    throw error;
  }
}
