import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { chunkDigest, splitIndex } from './index-chunks.js';
import { isIndexHead, parseHelmIndex, parseIndexChart } from './index-document.js';

const CORPUS = new URL('../../../../shared/corpus/index/', import.meta.url);

/** Every chart of a split index parsed alone, as parseHelmIndex's entries are shaped. */
function chartsAlone(body: Buffer): Map<string, Record<string, unknown>[]> {
  const chunks = splitIndex(body);
  assert.ok(chunks, 'the index splits');
  assert.ok(isIndexHead(chunks.head), `the head reads alone: ${chunks.head.toString('utf8')}`);
  const charts = new Map<string, Record<string, unknown>[]>();
  for (const chunk of chunks.charts) {
    const chart = parseIndexChart(body, chunks.format, chunk);
    assert.ok(chart, `${chunk.name} parses alone`);
    if (chart.versions) charts.set(chunk.name, chart.versions);
  }
  return charts;
}

const GO_YAML = `apiVersion: v1
entries:
  # a comment between charts
  web:
  - name: web
    version: 1.0.0
    description: |
      two lines
      of text

  - name: web
    version: 0.9.0
  db:
  - name: db
    version: "2.0"
generated: "2024-01-01T00:00:00Z"
serverInfo:
  contextPath: /x
`;

describe('splitIndex', () => {
  it('cuts a go-yaml index at its chart keys; each chart alone reads as in the whole', () => {
    const body = Buffer.from(GO_YAML);
    const chunks = splitIndex(body);
    assert.ok(chunks);
    assert.deepEqual(
      chunks.charts.map((c) => c.name),
      ['web', 'db'],
    );
    assert.equal(
      chunks.head.toString('utf8'),
      'apiVersion: v1\nentries:\ngenerated: "2024-01-01T00:00:00Z"\nserverInfo:\n  contextPath: /x\n',
    );
    assert.deepEqual(chartsAlone(body), parseHelmIndex(body).entries);
  });

  it('cuts an index whose versions are indented below their chart (js-yaml dump style)', () => {
    const body = Buffer.from(
      'apiVersion: v1\nentries:\n    a:\n        - name: a\n          version: 1.0.0\n',
    );
    assert.deepEqual(chartsAlone(body), parseHelmIndex(body).entries);
  });

  it('reads every block-style index of the corpus chart by chart exactly as whole', () => {
    let split = 0;
    for (const name of readdirSync(CORPUS)) {
      if (!name.endsWith('.yaml')) continue;
      const body = readFileSync(new URL(name, CORPUS));
      assert.deepEqual(chartsAlone(body), parseHelmIndex(body).entries, name);
      split += 1;
    }
    assert.ok(split >= 5);
  });

  it('cuts the JSON form at the members of entries; each chart alone reads as in the whole', () => {
    const doc = {
      apiVersion: 'v1',
      entries: { web: [{ name: 'web', version: '1.0.0', description: 'a "quoted" \\ {text} [x]' }], db: [] },
      generated: '2024-01-01T00:00:00Z',
    };
    for (const body of [Buffer.from(JSON.stringify(doc)), Buffer.from(JSON.stringify(doc, null, 2))]) {
      const chunks = splitIndex(body);
      assert.equal(chunks?.format, 'json');
      assert.deepEqual(JSON.parse(chunks.head.toString('utf8')), { ...doc, entries: {} });
      assert.deepEqual(chartsAlone(body), parseHelmIndex(body).entries);
    }
    const corpus = readFileSync(new URL('edge/helm-local-index.json', CORPUS));
    assert.deepEqual(chartsAlone(corpus), parseHelmIndex(corpus).entries);
    // Not JSON as a whole (a YAML flow mapping): left whole, where YAML's rules read it.
    assert.equal(splitIndex(Buffer.from('{"apiVersion": v1, "entries": {"a": []}}')), null);
    assert.equal(splitIndex(Buffer.from('{"apiVersion":"v1","entries":{"a":[],"a":[]}}')), null);
    assert.equal(splitIndex(Buffer.from('{"apiVersion":"v1","entries":{"a":[]},"entries":{}}')), null);
  });

  it('leaves documents outside the shape to the whole parse', () => {
    const refused = {
      tab: GO_YAML.replace('version: 1.0.0', 'version:\t1.0.0'),
      crlf: GO_YAML.replaceAll('\n', '\r\n'),
      'duplicate chart': GO_YAML.replace('  db:', '  web:'),
      'quoted chart key': GO_YAML.replace('  db:', '  "db":'),
      'inline chart value': GO_YAML.replace('  db:\n  - name: db\n    version: "2.0"', '  db: []'),
      'document marker': `---\n${GO_YAML}`,
      'flow entries': 'apiVersion: v1\nentries: {}\n',
      'a second entries': `${GO_YAML}entries:\n  x:\n  - version: 1.0.0\n`,
      'no entries': 'apiVersion: v1\n',
      'a version before any chart': 'apiVersion: v1\nentries:\n  - name: x\n',
      'byte order mark': `\uFEFF${GO_YAML}`,
    };
    for (const [what, text] of Object.entries(refused)) {
      assert.equal(splitIndex(Buffer.from(text)), null, what);
    }
  });

  it('gives a chart whose lines did not change the same digest, and any change another', () => {
    const body = Buffer.from(GO_YAML);
    const before = splitIndex(body)!;
    const edited = Buffer.from(
      GO_YAML.replace('version: "2.0"', 'version: "2.1"').replace('# a comment', '# another'),
    );
    const after = splitIndex(edited)!;
    const digests = (b: Buffer, c: typeof before, salt = 's') => c.charts.map((k) => chunkDigest(salt, b, k));
    const [webBefore, dbBefore] = digests(body, before);
    const [webAfter, dbAfter] = digests(edited, after);
    // The comment before `web:` belongs to the head's side of the cut, not to web's lines.
    assert.equal(webAfter, webBefore);
    assert.notEqual(dbAfter, dbBefore);
    assert.notEqual(digests(body, before, 'other salt')[0], webBefore);
  });

  it('says when a chart does not read alone, for the caller to parse the whole document', () => {
    const body = Buffer.from(
      GO_YAML.replace('  - name: web\n    version: 0.9.0', '  - &a name: web\n    version: 0.9.0'),
    );
    const chunks = splitIndex(body)!;
    assert.equal(parseIndexChart(body, 'yaml', chunks.charts[0]!), null);
    assert.ok(parseIndexChart(body, 'yaml', chunks.charts[1]!));
  });
});
