import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { dump, load } from 'js-yaml';
import { readBlockYaml, UNSUPPORTED } from './block-yaml.js';
import { INDEX_SCHEMA } from './safe-yaml.js';

const CORPUS = new URL('../../../../shared/corpus/index', import.meta.url).pathname;

const jsYaml = (text: string): unknown => load(text, { schema: INDEX_SCHEMA, json: false });

/** The fast reader agrees with js-yaml, or gives up; returns whether it read the document. */
function agrees(text: string): boolean {
  const fast = readBlockYaml(text, 100);
  let expected: unknown;
  let failed = false;
  try {
    expected = jsYaml(text);
  } catch {
    failed = true;
  }
  if (fast === UNSUPPORTED) return false;
  assert.ok(!failed, `js-yaml refuses a document the fast reader read:\n${text}`);
  assert.deepStrictEqual(fast, expected, `differs from js-yaml on:\n${text}`);
  return true;
}

describe('readBlockYaml', () => {
  const files = [
    ...readdirSync(CORPUS).filter((f) => f.endsWith('.yaml')),
    ...readdirSync(`${CORPUS}/edge`)
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => `edge/${f}`),
  ];
  for (const file of files) {
    it(`reads ${file} exactly as js-yaml does`, () => {
      assert.ok(agrees(readFileSync(`${CORPUS}/${file}`, 'utf8')), `${file}: the fast reader gave up`);
    });
  }

  it('reads the shapes index generators write', () => {
    const read = [
      "a: 1.10\nb: \"x\\ty\"\nc: 'it''s'\nd:\ne: ~\nf: true\ng: False\nh: []\ni: {}\n",
      'entries:\n  x:\n  - name: x\n    urls:\n    - x-1.tgz\n    version: 1.0.0\n',
      'entries:\n  x:\n    - name: x\n      version: 1.0.0\n',
      'a: |\n  line 1\n\n  line 3\nb: |-\n  kept\nc: |+\n  keep\n\nd: >\n  folded\n  text\n\n  para\ne: x\n',
      'd: "long text folded by go-yaml\n  over two lines"\nn: x\n',
      'd: "escaped \\\n  break"\n',
      "s: 'single\n  folded\n\n  para'\n",
      'p: plain text\n  continued here\nq: x # comment\n# full comment\nr: "\\U0001F525 \\u00e9 \\x41"\n',
      'a:\n- - nested\n  - list\n- k: v\n  l: w\n',
      'urls: [] # none\nm: {}\n',
      'u: http://x.test/a#frag\nv: a:b\nw: a#b\n',
    ];
    for (const text of read) assert.ok(agrees(text), `gave up on:\n${text}`);
  });

  it('leaves everything outside the subset to js-yaml', () => {
    const left = [
      'a: &x 1\nb: *x\n',
      '--- \na: 1\n',
      'a: 1\n---\nb: 2\n',
      '%YAML 1.2\n---\na: 1\n',
      'a: [1, 2]\n',
      'a: {b: c}\n',
      '"quoted": key\n',
      '? complex\n: key\n',
      'a: 1\na: 2\n',
      'a:\tb\n',
      'a: 1\r\nb: 2\r\n',
      'a: !!str 1\n',
      '- just\n- a list\n',
      'plain scalar document\n',
      'a: b: c\n',
      '__proto__: x\n',
      'true: x\n',
      'a: >\n  folded\n    more indented\n',
      'a:\n  b: 1\n c: 2\n',
    ];
    for (const text of left) assert.equal(readBlockYaml(text, 100), UNSUPPORTED, text);
  });

  it('gives up at its depth limit', () => {
    const deep = `${Array.from({ length: 30 }, (_, i) => `${'  '.repeat(i)}k${i}:`).join('\n')} x\n`;
    assert.equal(readBlockYaml(deep, 10), UNSUPPORTED);
    assert.notEqual(readBlockYaml(deep, 100), UNSUPPORTED);
  });

  it('agrees with js-yaml on dumped random documents', () => {
    // A small deterministic generator: strings full of YAML's special characters, dumped by js-yaml in
    // several styles (line widths fold long strings; quoting styles change escapes).
    let seed = 42;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const pieces = [
      'a',
      'word',
      ' ',
      '  ',
      ':',
      ': ',
      '#',
      ' #',
      '-',
      '- ',
      '"',
      "'",
      '\\',
      '\n',
      '\n\n',
      'é',
      '🔥',
      'null',
      'true',
      '1.10',
      '0x1F',
      '[',
      ']',
      '{',
      '}',
      ',',
      '|',
      '>',
      '&',
      '*',
      '!',
      '%',
      '@',
      '`',
      '~',
      'long '.repeat(12),
    ];
    const text = (): string => Array.from({ length: rand(8) }, () => pieces[rand(pieces.length)]).join('');
    const value = (depth: number): unknown => {
      const kind = depth > 3 ? 0 : rand(4);
      if (kind === 0) return text();
      if (kind === 1) return Array.from({ length: rand(4) }, () => value(depth + 1));
      return Object.fromEntries(
        Array.from({ length: rand(5) }, (_, i) => [`k${i}${rand(3) === 0 ? '.x/y' : ''}`, value(depth + 1)]),
      );
    };
    let read = 0;
    const total = 400;
    for (let n = 0; n < total; n += 1) {
      const doc = { apiVersion: 'v1', entries: { chart: [value(0), value(0)] } };
      const options = [
        {},
        { lineWidth: 20 },
        { lineWidth: -1 },
        { forceQuotes: true, quotingType: '"' as const },
        { forceQuotes: true },
      ];
      const yamlText = dump(doc, options[n % options.length]);
      if (agrees(yamlText)) read += 1;
    }
    // Most documents are within the subset: a reader that gives up on everything would pass the rest.
    assert.ok(read > total / 2, `the fast reader read only ${read} of ${total} documents`);
  });
});
