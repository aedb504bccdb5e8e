import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_VERSION_LENGTH, parseChartVersion, semverSortKey, versionSortKey } from './semver-sort.js';

function key(version: string): string {
  const sortKey = versionSortKey(version);
  assert.ok(sortKey !== null, `${version} should parse`);
  return sortKey;
}

/** Plain byte-wise order, as a database compares an ASCII text column with a C / binary collation. */
function byteCompare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function assertAscending(chain: string[]): void {
  for (let i = 0; i < chain.length; i += 1) {
    for (let j = i + 1; j < chain.length; j += 1) {
      const a = chain[i]!;
      const b = chain[j]!;
      assert.equal(byteCompare(key(a), key(b)), -1, `${a} < ${b}, but keys ${key(a)} and ${key(b)}`);
    }
  }
  // And sorting the reversed chain by key gives the chain back.
  assert.deepEqual(
    [...chain].reverse().sort((a, b) => byteCompare(key(a), key(b))),
    chain,
  );
}

/*
 * An independent reference: SemVer 2 precedence (spec item 11) over the parsed parts, with BigInt for
 * numbers of any size. Used to check the key on many generated versions.
 */
function referenceCompare(a: string, b: string): number {
  const pa = parseChartVersion(a);
  const pb = parseChartVersion(b);
  assert.ok(pa.ok && pb.ok);
  const va = pa.version;
  const vb = pb.version;
  for (const field of ['major', 'minor', 'patch'] as const) {
    const x = BigInt(va[field]);
    const y = BigInt(vb[field]);
    if (x !== y) return x < y ? -1 : 1;
  }
  const aRelease = va.prerelease.length === 0;
  const bRelease = vb.prerelease.length === 0;
  if (aRelease || bRelease) return aRelease === bRelease ? 0 : aRelease ? 1 : -1;
  for (let i = 0; i < Math.max(va.prerelease.length, vb.prerelease.length); i += 1) {
    const x = va.prerelease[i];
    const y = vb.prerelease[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const xNumeric = /^[0-9]+$/.test(x);
    const yNumeric = /^[0-9]+$/.test(y);
    if (xNumeric && yNumeric) {
      if (BigInt(x) !== BigInt(y)) return BigInt(x) < BigInt(y) ? -1 : 1;
    } else if (xNumeric !== yNumeric) {
      return xNumeric ? -1 : 1;
    } else if (x !== y) {
      return x < y ? -1 : 1;
    }
  }
  return 0;
}

describe('parseChartVersion: what Helm (Masterminds NewVersion) accepts', () => {
  const strict = [
    '0.0.0',
    '1.2.3',
    '10.20.30',
    '1.2.3-rc.1',
    '1.2.3-0',
    '1.2.3-0a',
    '1.2.3--',
    '1.2.3-alpha-1.x-y',
    '1.2.3+build.7',
    '1.2.3+001',
    '1.2.3-rc.1+build.1.sha-5114f85',
    '1.0.12345678901234567890',
    '18446744073709551615.18446744073709551615.18446744073709551615',
  ];
  for (const version of strict) {
    it(`accepts strict SemVer ${version}`, () => {
      const parsed = parseChartVersion(version);
      assert.ok(parsed.ok, `rejected: ${parsed.ok ? '' : parsed.reason}`);
      assert.equal(parsed.version.strict, true);
    });
  }

  const lenient: [string, string][] = [
    ['v1.2.3', '1.2.3'],
    ['v1.2.3-rc.1', '1.2.3-rc.1'],
    ['1.2', '1.2.0'],
    ['1', '1.0.0'],
    ['v1', '1.0.0'],
    ['1.2-beta', '1.2.0-beta'],
    ['1+build', '1.0.0'],
    ['01.2.3', '1.2.3'],
    ['0.46.00', '0.46.0'], // a real argo-helm version
    ['1.010.0', '1.10.0'],
  ];
  for (const [version, same] of lenient) {
    it(`accepts Helm's lenient ${version}, sorted as ${same}`, () => {
      const parsed = parseChartVersion(version);
      assert.ok(parsed.ok, `rejected: ${parsed.ok ? '' : parsed.reason}`);
      assert.equal(parsed.version.strict, false);
      assert.equal(key(version), key(same));
    });
  }

  const refused: [string, RegExp][] = [
    ['', /empty/],
    ['latest', /not a SemVer version/],
    ['release-0.5.0', /not a SemVer version/],
    ['1.2.3.4', /not a SemVer version/],
    ['V1.2.3', /not a SemVer version/],
    ['vv1.2.3', /not a SemVer version/],
    [' 1.2.3', /not a SemVer version/],
    ['1.2.3 ', /not a SemVer version/],
    ['1.2.3\n', /not a SemVer version/],
    ['1.2.3-', /not a SemVer version/],
    ['1.2.3+', /not a SemVer version/],
    ['1.2.3-a..b', /not a SemVer version/],
    ['1.2.3+a..b', /not a SemVer version/],
    ['1.2.3-rc_1', /not a SemVer version/],
    ['1.2.3-é', /not a SemVer version/],
    ['１.2.3', /not a SemVer version/],
    ['-1.2.3', /not a SemVer version/],
    ['1..3', /not a SemVer version/],
    ['.1.2', /not a SemVer version/],
    ['v', /not a SemVer version/],
    ['1.2.3-01', /leading zero/],
    ['1.2.3-rc.00', /leading zero/],
    ['18446744073709551616.0.0', /larger than 18446744073709551615/],
    ['1.0.99999999999999999999', /larger than/],
    [`1.0.0-${'a'.repeat(MAX_VERSION_LENGTH)}`, /longer than 256/],
  ];
  for (const [version, reason] of refused) {
    it(`refuses ${JSON.stringify(version.length > 40 ? `${version.slice(0, 40)}...` : version)}`, () => {
      const parsed = parseChartVersion(version);
      assert.equal(parsed.ok, false);
      assert.match(parsed.ok ? '' : parsed.reason, reason);
      assert.equal(versionSortKey(version), null);
    });
  }

  it('keeps pre-release and build identifiers, without leading zeros in the numbers', () => {
    assert.deepEqual(parseChartVersion('v01.002.0-rc.1.x+b.07'), {
      ok: true,
      version: {
        major: '1',
        minor: '2',
        patch: '0',
        prerelease: ['rc', '1', 'x'],
        build: ['b', '07'],
        strict: false,
      },
    });
  });
});

describe('semverSortKey: byte-wise order is SemVer precedence', () => {
  it("orders the SemVer spec's own example chain", () => {
    assertAscending([
      '1.0.0-alpha',
      '1.0.0-alpha.1',
      '1.0.0-alpha.beta',
      '1.0.0-beta',
      '1.0.0-beta.2',
      '1.0.0-beta.11',
      '1.0.0-rc.1',
      '1.0.0',
    ]);
  });

  it('orders major, minor and patch numerically, at any size', () => {
    assertAscending([
      '0.0.0',
      '0.0.1',
      '0.0.9',
      '0.0.10',
      '0.1.0',
      '0.9.0',
      '0.10.0',
      '0.46.0',
      '1.0.0',
      '1.0.9',
      '1.0.10',
      '1.0.99999',
      '1.0.12345678901234567890',
      '1.0.18446744073709551615',
      '1.1.0',
      '1.9.99',
      '1.10.0',
      '2.0.0',
      '9.0.0',
      '10.0.0',
      '99.0.0',
      '100.0.0',
      '18446744073709551615.0.0',
    ]);
  });

  it('puts pre-releases before their release and after the previous release', () => {
    assertAscending(['0.9.9', '1.0.0-0', '1.0.0-rc.1', '1.0.0', '1.0.1-0', '1.0.1', '1.1.0-alpha', '1.1.0']);
  });

  it('compares pre-release identifiers as SemVer says', () => {
    assertAscending([
      '1.0.0-0',
      '1.0.0-0.0',
      '1.0.0-0.1',
      '1.0.0-0.a',
      '1.0.0-1',
      '1.0.0-9',
      '1.0.0-10',
      '1.0.0-99999999999999999999999', // numeric by value even beyond 64 bits
      '1.0.0--', // "-" is an alphanumeric identifier, the lowest one
      '1.0.0-0a', // alphanumeric although it starts with a digit: after every numeric identifier
      '1.0.0-1a',
      '1.0.0-A',
      '1.0.0-Z',
      '1.0.0-a',
      '1.0.0-alpha',
      '1.0.0-alpha.0',
      '1.0.0-alpha.1',
      '1.0.0-alpha.1.0',
      '1.0.0-alpha.2',
      '1.0.0-alpha.10',
      '1.0.0-alpha.a',
      '1.0.0-alpha.beta',
      '1.0.0-alpha-1', // "alpha" < "alpha-1": the shorter identifier first
      '1.0.0-alpha0',
      '1.0.0-alpha1',
      '1.0.0-alphabet',
      '1.0.0-b',
      '1.0.0-beta',
      '1.0.0-beta.2',
      '1.0.0-beta.11',
      '1.0.0-rc',
      '1.0.0-rc.1',
      '1.0.0-rc.1.1',
      '1.0.0-rc.2',
      '1.0.0-rc.10',
      '1.0.0-rc1',
      '1.0.0-rc10', // ASCII: "rc10" < "rc2"
      '1.0.0-rc2',
      '1.0.0',
    ]);
  });

  it('gives equal keys to versions of equal precedence (build metadata, v, missing parts, leading zeros)', () => {
    const same = ['1.2.3', 'v1.2.3', '1.2.3+build.7', '1.2.3+other', '01.2.3', '1.02.03+x'];
    for (const version of same) assert.equal(key(version), key('1.2.3'), version);
    assert.equal(key('1.2'), key('1.2.0'));
    assert.equal(key('1'), key('1.0.0'));
    assert.equal(key('1.0.0-rc.1+b'), key('1.0.0-rc.1'));
    assert.notEqual(key('1.0.0-rc.1'), key('1.0.0-rc.01a'));
  });

  it('writes keys in printable ASCII only', () => {
    for (const version of ['1.2.3', '1.0.0-alpha.1', '1.0.0--.0a.99', '1.0.12345678901234567890']) {
      assert.match(key(version), /^[\x20-\x7e]+$/);
    }
    assert.equal(key('1.2.3'), '011.012.013~');
    assert.equal(key('1.0.0-alpha.1'), '011.010.010-$alpha#0011');
  });

  it('agrees with a reference SemVer comparison on thousands of generated pairs', () => {
    // xorshift32: the same versions on every run.
    let seed = 2463534242;
    const random = (n: number): number => {
      seed ^= seed << 13;
      seed >>>= 0;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      seed >>>= 0;
      return seed % n;
    };
    const numbers = ['0', '1', '2', '9', '10', '11', '99', '100', '12345678901234567890'];
    const identifiers = [
      '0',
      '1',
      '2',
      '10',
      'a',
      'b',
      'alpha',
      'alpha1',
      'beta',
      'rc',
      'rc1',
      '-',
      'A',
      '0a',
      'x-y',
    ];
    const versions: string[] = [];
    for (let i = 0; i < 600; i += 1) {
      // Mostly small cores, so that many pairs share one and are decided by their pre-releases.
      const core = [0, 1, 2]
        .map(() => numbers[random(8) < 6 ? random(3) : random(numbers.length)]!)
        .join('.');
      const pre = Array.from({ length: random(4) }, () => identifiers[random(identifiers.length)]!);
      versions.push(pre.length === 0 ? core : `${core}-${pre.join('.')}`);
    }
    versions.push(...numbers.map((n) => `${n}.${n}.${n}`));
    let compared = 0;
    for (let i = 0; i < versions.length; i += 1) {
      for (let j = i; j < versions.length; j += 7) {
        const a = versions[i]!;
        const b = versions[j]!;
        assert.equal(Math.sign(byteCompare(key(a), key(b))), referenceCompare(a, b), `${a} vs ${b}`);
        compared += 1;
      }
    }
    assert.ok(compared > 20_000);
  });

  it('is the same function of the parsed version', () => {
    const parsed = parseChartVersion('2.0.0-rc.1');
    assert.ok(parsed.ok);
    assert.equal(semverSortKey(parsed.version), versionSortKey('2.0.0-rc.1'));
  });
});
