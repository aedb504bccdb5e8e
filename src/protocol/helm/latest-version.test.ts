import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareNewestFirst, isPrereleaseKey, latestVersion } from './latest-version.js';
import { versionSortKey } from './semver-sort.js';

const keyed = (...versions: string[]) =>
  versions.map((version) => {
    const sortKey = versionSortKey(version);
    assert.ok(sortKey, `${version} is a version Helm reads`);
    return { version, sortKey };
  });

const latest = (versions: string[], devel = false) => latestVersion(keyed(...versions), { devel })?.version;

describe('latest version (helm search repo)', () => {
  it('is the newest stable version, whatever pre-releases are newer', () => {
    // kong-operator's real shape: a release candidate of the next minor above the stable line.
    assert.equal(latest(['1.3.0', '1.4.0-rc.1', '1.3.1', '1.4.0-alpha.2']), '1.3.1');
    assert.equal(latest(['1.3.0', '1.4.0-rc.1', '1.3.1'], true), '1.4.0-rc.1');
  });

  it('orders by SemVer precedence, not text: numbers by value, pre-releases before their release', () => {
    assert.equal(latest(['1.9.0', '1.10.0', '1.2.0']), '1.10.0');
    assert.equal(latest(['2.0.0-rc.10', '2.0.0-rc.9', '2.0.0-beta.11'], true), '2.0.0-rc.10');
    assert.equal(latest(['2.0.0-rc.1', '2.0.0'], true), '2.0.0');
    // Numeric identifiers sort before alphanumeric ones; fewer identifiers before more.
    assert.equal(latest(['1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-1'], true), '1.0.0-alpha.1');
    // Helm's lenient forms compare by value.
    assert.equal(latest(['v1.2', '1.1.9']), 'v1.2');
  });

  it('ignores build metadata for precedence; the higher version text breaks the tie', () => {
    assert.equal(latest(['1.0.0+build.1', '0.9.0', '1.0.0+build.2']), '1.0.0+build.2');
    assert.equal(latest(['1.0.0+zzz', '1.0.1+aaa']), '1.0.1+aaa');
    // A pre-release with build metadata is still a pre-release.
    assert.equal(latest(['1.0.0', '1.1.0-rc.1+meta']), '1.0.0');
  });

  it('falls back to the newest pre-release for a chart that has only pre-releases', () => {
    assert.equal(latest(['0.1.0-alpha.1', '0.1.0-beta.1', '0.0.9-rc.1']), '0.1.0-beta.1');
    assert.equal(latest(['0.1.0-alpha.1', '0.1.0-beta.1'], true), '0.1.0-beta.1');
    assert.equal(latest([]), undefined);
  });

  it('does not depend on the order it is given, and sorts newest first consistently', () => {
    const versions = keyed('1.0.0', '2.0.0-rc.1', '1.5.0+b', '1.5.0+a', '0.1.0');
    const sorted = [...versions].sort(compareNewestFirst).map((v) => v.version);
    assert.deepEqual(sorted, ['2.0.0-rc.1', '1.5.0+b', '1.5.0+a', '1.0.0', '0.1.0']);
    assert.equal(latestVersion([...versions].reverse(), { devel: false })?.version, '1.5.0+b');
    assert.ok(isPrereleaseKey(versionSortKey('1.0.0-0')!));
    assert.ok(!isPrereleaseKey(versionSortKey('1.0.0+rc.1')!));
  });
});
