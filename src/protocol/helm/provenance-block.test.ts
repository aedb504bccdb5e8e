import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { readProvenanceBlock } from './provenance-block.js';

const CORPUS = new URL('../../../../shared/corpus/provenance/', import.meta.url);

describe('readProvenanceBlock', () => {
  it("reads Helm's signed text: Chart.yaml, then the file digests", () => {
    const prov = readFileSync(new URL('signtest-0.1.0.tgz.prov', CORPUS), 'utf8');
    // The text between the armor header and the signature, as the signature vouches for it.
    const signed = prov.split('\n\n').slice(1).join('\n\n').split('\n-----BEGIN PGP SIGNATURE')[0]!;
    const read = readProvenanceBlock(signed);
    assert.ok(read.ok, read.ok ? '' : read.reason);
    assert.deepEqual(read.block.chart, { name: 'signtest', version: '0.1.0' });
    assert.deepEqual(
      [...read.block.files],
      [['signtest-0.1.0.tgz', 'sha256:e5ef611620fb97704d8751c16bab17fedb68883bfb0edc76f78a70e9173f9b55']],
    );
  });

  it('says why a block cannot be read', () => {
    const reason = (text: string): string => {
      const read = readProvenanceBlock(text);
      assert.equal(read.ok, false);
      return read.ok ? '' : read.reason;
    };
    assert.match(reason('name: x\nversion: 1.0.0\nfiles:\n  x: y\n'), /no "\.\.\." line/);
    assert.match(reason('name: x\nversion: 1.0.0\n...\nsums: {}\n'), /no "files:" map/);
    assert.match(reason('name: [\n...\nfiles: {}\n'), /the signed Chart\.yaml is not valid YAML/);
  });
});
