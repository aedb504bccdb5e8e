import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UpstreamError } from '../shared/errors.js';
import {
  checkAddressAllowed,
  checkHostAllowed,
  classifyAddress,
  refuseResolvedAddress,
} from './address-policy.js';
import type { AddressClass } from './address-policy.js';

const strict = { allowPrivateEndpoints: false };
const allowing = { allowPrivateEndpoints: true };

describe('classifyAddress', () => {
  const cases: [string, AddressClass][] = [
    ['8.8.8.8', 'public'],
    ['140.82.112.3', 'public'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.1', 'public'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['100.127.255.255', 'private'],
    ['100.128.0.1', 'public'],
    ['169.254.1.1', 'link_local'],
    ['169.254.169.254', 'metadata'],
    ['169.254.170.2', 'metadata'],
    ['100.100.100.200', 'metadata'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['192.0.2.10', 'reserved'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['::ffff:a9fe:a9fe', 'metadata'],
    ['::ffff:8.8.8.8', 'public'],
    ['64:ff9b::10.0.0.1', 'private'],
    ['64:ff9b::a9fe:a9fe', 'metadata'],
    ['64:ff9b::808:808', 'public'],
    ['2002:7f00:1::1', 'loopback'],
    ['fd00:ec2::254', 'metadata'],
    ['fd12:3456::1', 'private'],
    ['fc00::1', 'private'],
    ['fe80::1', 'link_local'],
    ['fe80::1%eth0', 'link_local'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'reserved'],
    ['2606:4700:4700::1111', 'public'],
    ['2a00:1450:4001:80b::200e', 'public'],
  ];
  for (const [ip, expected] of cases) {
    it(`${ip} is ${expected}`, () => assert.equal(classifyAddress(ip), expected));
  }

  it('throws on something that is not an address', () => {
    assert.throws(() => classifyAddress('example.com'), TypeError);
  });
});

function assertRefused(fn: () => void, pattern: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof UpstreamError);
    assert.equal(error.failure, 'endpoint_not_allowed');
    assert.match(error.message, pattern);
    return true;
  });
}

describe('checkAddressAllowed', () => {
  it('allows public addresses', () => {
    checkAddressAllowed('8.8.8.8', strict);
    checkAddressAllowed('2606:4700:4700::1111', strict);
  });

  it('refuses private addresses by default, naming the class, the variable and Protected', () => {
    assertRefused(() => checkAddressAllowed('10.0.0.1', strict), /private-network address/);
    assertRefused(() => checkAddressAllowed('127.0.0.1', strict), /CHARTHOUSE_ALLOW_PRIVATE_ENDPOINTS=true/);
    assertRefused(() => checkAddressAllowed('fe80::1', strict), /mark the registry Protected/);
  });

  it('allows private addresses when the operator allows them', () => {
    for (const ip of ['127.0.0.1', '10.0.0.1', '::1', 'fd12::1', '169.254.1.1'])
      checkAddressAllowed(ip, allowing);
  });

  it('refuses metadata addresses even when private ones are allowed', () => {
    for (const ip of ['169.254.169.254', '::ffff:169.254.169.254', 'fd00:ec2::254', '100.100.100.200']) {
      assertRefused(() => checkAddressAllowed(ip, allowing), /metadata.*never connects/);
    }
  });

  it('names the host, not the address, for a resolved name', () => {
    const error = refuseResolvedAddress('intranet.example', '10.9.8.7');
    assert.match(error.message, /intranet\.example resolves to a private-network address/);
    assert.doesNotMatch(error.message, /10\.9\.8\.7/);
  });
});

describe('checkHostAllowed', () => {
  it('refuses metadata host names always', () => {
    for (const host of [
      'metadata.google.internal',
      'METADATA.google.internal.',
      'metadata',
      'instance-data',
    ]) {
      assertRefused(() => checkHostAllowed(host, allowing), /metadata/);
    }
  });

  it('checks IP literals, bracketed IPv6 included', () => {
    assertRefused(() => checkHostAllowed('127.0.0.1', strict), /loopback/);
    assertRefused(() => checkHostAllowed('[::ffff:127.0.0.1]', strict), /loopback/);
    checkHostAllowed('[::1]', allowing);
  });

  it('leaves other names to the DNS check', () => {
    checkHostAllowed('charts.example.com', strict);
    checkHostAllowed('localhost', strict);
  });
});
