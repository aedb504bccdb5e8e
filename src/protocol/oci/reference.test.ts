import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DistributionError } from './distribution-error.js';
import {
  checkRepositoryPath,
  isDigest,
  isRepositoryName,
  isTag,
  looksLikeDigest,
  parseRepositoryPath,
  tagToVersion,
  versionToTag,
} from './reference.js';

const SHA = `sha256:${'a'.repeat(64)}`;

describe('isRepositoryName', () => {
  it('accepts the distribution grammar with several components', () => {
    for (const name of ['a', 'acme/charts/x', 'a-b/c.d/e_f/g__h/i--j', '0/1']) {
      assert.equal(isRepositoryName(name), true, name);
    }
  });
  it('refuses uppercase, empty components, leading/trailing separators and ___', () => {
    for (const name of ['', 'A', 'a//b', '/a', 'a/', 'a_', '-a', 'a___b', 'a/.b', 'a b', 'a:b']) {
      assert.equal(isRepositoryName(name), false, name);
    }
  });
  it('refuses names over 255 characters', () => {
    assert.equal(isRepositoryName('a'.repeat(255)), true);
    assert.equal(isRepositoryName('a'.repeat(256)), false);
  });
});

describe('isTag / isDigest', () => {
  it('reads tags as the spec does', () => {
    for (const tag of ['1.0.0', '1.0.0_build.1', 'latest', '_x', 'A'.repeat(128)])
      assert.equal(isTag(tag), true, tag);
    for (const tag of ['', '.x', '-x', '1.0.0+b', 'A'.repeat(129), SHA]) assert.equal(isTag(tag), false, tag);
  });
  it('accepts only sha256 with 64 lowercase hex as a digest we store', () => {
    assert.equal(isDigest(SHA), true);
    assert.equal(isDigest(`sha256:${'A'.repeat(64)}`), false);
    assert.equal(isDigest(`sha256:${'a'.repeat(63)}`), false);
    assert.equal(isDigest(`sha512:${'a'.repeat(128)}`), false);
    assert.equal(looksLikeDigest(`sha512:${'a'.repeat(128)}`), true);
    assert.equal(looksLikeDigest('1.0.0'), false);
  });
});

describe('tag ↔ version', () => {
  it('reads _ as + and keeps only strict SemVer, as helm does', () => {
    assert.equal(tagToVersion('1.2.3'), '1.2.3');
    assert.equal(tagToVersion('1.0.0_build.1'), '1.0.0+build.1');
    for (const tag of ['latest', 'v1.2.3', '1.2', '01.2.3', '1.2.3_'])
      assert.equal(tagToVersion(tag), null, tag);
  });
  it('writes + as _', () => {
    assert.equal(versionToTag('1.0.0+build.1'), '1.0.0_build.1');
    assert.equal(tagToVersion(versionToTag('3.1.4-alpha+x.y')), '3.1.4-alpha+x.y');
  });
});

describe('parseRepositoryPath', () => {
  it('splits from the right, so repository names may have several components', () => {
    assert.deepEqual(parseRepositoryPath('acme/charts/x/manifests/1.0.0'), {
      repository: 'acme/charts/x',
      kind: 'manifests',
      rest: '1.0.0',
    });
    assert.deepEqual(parseRepositoryPath(`acme/x/manifests/${SHA}`), {
      repository: 'acme/x',
      kind: 'manifests',
      rest: SHA,
    });
    assert.deepEqual(parseRepositoryPath(`acme/x/blobs/${SHA}`), {
      repository: 'acme/x',
      kind: 'blobs',
      rest: SHA,
    });
    assert.deepEqual(parseRepositoryPath('acme/x/tags/list'), {
      repository: 'acme/x',
      kind: 'tags',
      rest: '',
    });
  });
  it('reads upload sessions with and without an id', () => {
    assert.deepEqual(parseRepositoryPath('acme/x/blobs/uploads/'), {
      repository: 'acme/x',
      kind: 'uploads',
      rest: '',
    });
    assert.deepEqual(parseRepositoryPath('acme/x/blobs/uploads'), {
      repository: 'acme/x',
      kind: 'uploads',
      rest: '',
    });
    assert.deepEqual(parseRepositoryPath('acme/x/blobs/uploads/0f9e-uuid'), {
      repository: 'acme/x',
      kind: 'uploads',
      rest: '0f9e-uuid',
    });
  });
  it('lets repository components be named like endpoints', () => {
    assert.deepEqual(parseRepositoryPath('acme/blobs/manifests/tags/list'), {
      repository: 'acme/blobs/manifests',
      kind: 'tags',
      rest: '',
    });
    assert.deepEqual(parseRepositoryPath('acme/blobs/blobs/uploads/'), {
      repository: 'acme/blobs',
      kind: 'uploads',
      rest: '',
    });
    assert.deepEqual(parseRepositoryPath('/acme/x/manifests/1'), {
      repository: 'acme/x',
      kind: 'manifests',
      rest: '1',
    });
  });
  it('returns null for other paths and an empty repository', () => {
    for (const path of [
      '',
      '_catalog',
      'acme/x',
      'acme/x/manifests/',
      'acme/x/blobs/',
      'manifests/1.0.0',
      'tags/list',
      'blobs/uploads/',
      `acme/x/referrers/${SHA}`,
      'acme/x/blobs/uploads/a/b',
    ]) {
      assert.equal(parseRepositoryPath(path), null, path);
    }
  });
});

describe('checkRepositoryPath', () => {
  const code = (path: string): string | null => {
    const checked = checkRepositoryPath(path);
    return checked instanceof DistributionError ? `${checked.status} ${checked.code}` : null;
  };

  it('passes every endpoint form with valid parts', () => {
    for (const path of [
      'acme/demo/tags/list',
      'acme/demo/manifests/1.0.0',
      `acme/demo/manifests/${SHA}`,
      `acme/demo/blobs/${SHA}`,
      'acme/demo/blobs/uploads/',
      'acme/demo/blobs/uploads/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b',
    ]) {
      assert.equal(code(path), null, path);
    }
    assert.deepEqual(checkRepositoryPath('acme/x/y/manifests/v1'), {
      repository: 'acme/x/y',
      kind: 'manifests',
      rest: 'v1',
    });
  });

  it('names the part that is wrong with the spec code, before anything is looked up', () => {
    assert.equal(code('acme\u0000/x/tags/list'), '400 NAME_INVALID');
    assert.equal(code(`${'a'.repeat(256)}/tags/list`), '400 NAME_INVALID');
    assert.equal(code('acme/../tags/list'), '400 NAME_INVALID');
    assert.equal(code('acme/demo/manifests/1.0\u0000'), '400 TAG_INVALID');
    assert.equal(code(`acme/demo/manifests/${'a'.repeat(129)}`), '400 TAG_INVALID');
    assert.equal(code('acme/demo/manifests/sha256:%00'), '400 DIGEST_INVALID');
    assert.equal(code(`acme/demo/manifests/sha512:${'a'.repeat(128)}`), '400 DIGEST_INVALID');
    assert.equal(code('acme/demo/blobs/sha256:nothex'), '400 DIGEST_INVALID');
    assert.equal(code('acme/demo/blobs/uploads/x\u0000'), '404 BLOB_UPLOAD_UNKNOWN');
    assert.equal(code(`acme/demo/blobs/uploads/${'a'.repeat(129)}`), '404 BLOB_UPLOAD_UNKNOWN');
  });

  it('is 404 UNSUPPORTED for a path that is no endpoint', () => {
    assert.equal(code('acme\u0000'), '404 UNSUPPORTED');
    assert.equal(code('tags/list'), '404 UNSUPPORTED');
  });

  it('echoes names escaped and cut, never raw control characters', () => {
    const checked = checkRepositoryPath(`${'\u0000'.repeat(300)}/tags/list`);
    assert.ok(checked instanceof DistributionError);
    assert.equal(checked.message.includes('\u0000'), false);
    assert.ok(checked.message.length < 800);
  });
});
