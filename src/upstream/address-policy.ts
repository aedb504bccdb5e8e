import { isIPv4, isIPv6 } from 'node:net';
import { UpstreamError } from '../shared/errors.js';

/**
 * Which addresses Charthouse may connect to for an unprotected registry (SSRF policy, SPEC §2).
 * Pure: the HTTP client applies it to IP-literal hosts before connecting and to every address DNS
 * returns inside the connect path, so the address checked is the address connected to.
 */
export type AddressClass =
  'public' | 'loopback' | 'private' | 'link_local' | 'metadata' | 'unspecified' | 'multicast' | 'reserved';

export interface AddressPolicy {
  allowPrivateEndpoints: boolean;
}

const CLASS_DESCRIPTIONS: Record<AddressClass, string> = {
  public: 'a public address',
  loopback: 'a loopback address',
  private: 'a private-network address',
  link_local: 'a link-local address',
  metadata: 'a cloud metadata service address',
  unspecified: 'the unspecified address',
  multicast: 'a multicast address',
  reserved: 'a reserved address',
};

const CLASS_PLURALS: Record<AddressClass, string> = {
  public: 'public addresses',
  loopback: 'loopback addresses',
  private: 'private-network addresses',
  link_local: 'link-local addresses',
  metadata: 'cloud metadata addresses',
  unspecified: 'the unspecified address',
  multicast: 'multicast addresses',
  reserved: 'reserved addresses',
};

/** Refused whatever the operator allows: nothing useful lives there, and metadata services hold cloud credentials. */
const ALWAYS_REFUSED: ReadonlySet<AddressClass> = new Set(['metadata', 'unspecified', 'multicast']);

/** Cloud metadata host names (GCP, generic, AWS) refused by name, before any DNS. */
const METADATA_HOST_NAMES: ReadonlySet<string> = new Set([
  'metadata.google.internal',
  'metadata',
  'instance-data',
]);

const METADATA_IPV4: ReadonlySet<string> = new Set([
  '169.254.169.254', // AWS, GCP, Azure, OpenStack, Oracle
  '169.254.170.2', // AWS ECS task credentials
  '100.100.100.200', // Alibaba Cloud
  '168.63.129.16', // Azure WireServer
]);

interface Ipv4Range {
  base: number;
  prefix: number;
  cls: AddressClass;
}

function ipv4Range(cidr: string, cls: AddressClass): Ipv4Range {
  const [address, prefix] = cidr.split('/') as [string, string];
  return { base: ipv4ToNumber(address), prefix: Number(prefix), cls };
}

// First match wins, so narrower ranges come before the ranges that contain them.
const IPV4_RANGES: readonly Ipv4Range[] = [
  ipv4Range('0.0.0.0/8', 'unspecified'),
  ipv4Range('127.0.0.0/8', 'loopback'),
  ipv4Range('10.0.0.0/8', 'private'),
  ipv4Range('172.16.0.0/12', 'private'),
  ipv4Range('192.168.0.0/16', 'private'),
  ipv4Range('100.64.0.0/10', 'private'),
  ipv4Range('169.254.0.0/16', 'link_local'),
  ipv4Range('192.0.0.0/24', 'reserved'),
  ipv4Range('192.0.2.0/24', 'reserved'),
  ipv4Range('192.88.99.0/24', 'reserved'),
  ipv4Range('198.18.0.0/15', 'reserved'),
  ipv4Range('198.51.100.0/24', 'reserved'),
  ipv4Range('203.0.113.0/24', 'reserved'),
  ipv4Range('224.0.0.0/4', 'multicast'),
  ipv4Range('240.0.0.0/4', 'reserved'),
];

function ipv4ToNumber(address: string): number {
  return address.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

function numberToIpv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

function inIpv4Range(value: number, range: Ipv4Range): boolean {
  const size = 2 ** (32 - range.prefix);
  return Math.floor(value / size) === Math.floor(range.base / size);
}

function classifyIpv4(address: string): AddressClass {
  if (METADATA_IPV4.has(address)) return 'metadata';
  const value = ipv4ToNumber(address);
  return IPV4_RANGES.find((range) => inIpv4Range(value, range))?.cls ?? 'public';
}

/** Parses a valid IPv6 text (zone id already removed) into its eight 16-bit groups. */
function ipv6Groups(address: string): number[] {
  // A dotted IPv4 tail (::ffff:1.2.3.4) is rewritten as two hex groups (::ffff:102:304) first.
  const text = address.replace(/(\d+\.\d+\.\d+\.\d+)$/, (dotted) => {
    const v4 = ipv4ToNumber(dotted);
    return `${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  });
  const parse = (part: string): number[] => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const doubleColon = text.indexOf('::');
  if (doubleColon === -1) return parse(text);
  const head = parse(text.slice(0, doubleColon));
  const tail = parse(text.slice(doubleColon + 2));
  return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}

function embeddedIpv4(groups: number[], highIndex: number): string {
  return numberToIpv4(groups[highIndex]! * 0x10000 + groups[highIndex + 1]!);
}

function classifyIpv6(address: string): AddressClass {
  const g = ipv6Groups(address);
  const zeros = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  if (zeros(0, 8)) return 'unspecified';
  if (zeros(0, 7) && g[7] === 1) return 'loopback';
  // IPv4-mapped (::ffff:a.b.c.d) and NAT64 (64:ff9b::a.b.c.d) reach the embedded IPv4 address.
  if (zeros(0, 5) && g[5] === 0xffff) return classifyIpv4(embeddedIpv4(g, 6));
  if (g[0] === 0x64 && g[1] === 0xff9b && zeros(2, 6)) return classifyIpv4(embeddedIpv4(g, 6));
  if (g[0] === 0x2002) return classifyIpv4(embeddedIpv4(g, 1)); // 6to4 also embeds one
  if (zeros(0, 6)) return 'reserved'; // deprecated IPv4-compatible ::a.b.c.d
  if (g[0] === 0xfd00 && g[1] === 0x0ec2 && zeros(2, 7) && g[7] === 0x254) return 'metadata'; // AWS IMDS
  const first = g[0]!;
  if ((first & 0xfe00) === 0xfc00) return 'private'; // fc00::/7 unique local
  if ((first & 0xffc0) === 0xfe80) return 'link_local';
  if ((first & 0xffc0) === 0xfec0) return 'private'; // deprecated site-local
  if ((first & 0xff00) === 0xff00) return 'multicast';
  if (g[0] === 0x64 && g[1] === 0xff9b && g[2] === 1) return 'private'; // local-use NAT64
  if (g[0] === 0x2001 && g[1] === 0x0db8) return 'reserved'; // documentation
  if ((first & 0xe000) === 0x2000) return 'public'; // 2000::/3 global unicast
  return 'reserved';
}

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** Classifies an IP address (v4, or v6 with optional brackets and zone id); throws on anything else. */
export function classifyAddress(ip: string): AddressClass {
  const address = stripBrackets(ip).replace(/%.*$/, '').toLowerCase();
  if (isIPv4(address)) return classifyIpv4(address);
  if (isIPv6(address)) return classifyIpv6(address);
  throw new TypeError(`not an IP address: ${ip}`);
}

/** `lead` ends with a verb ("The address 10.0.0.1 is", "The host x resolves to"). */
function refusal(lead: string, cls: AddressClass): UpstreamError {
  const what = CLASS_DESCRIPTIONS[cls];
  if (ALWAYS_REFUSED.has(cls)) {
    return new UpstreamError('endpoint_not_allowed', `${lead} ${what}; Charthouse never connects to it.`);
  }
  return new UpstreamError(
    'endpoint_not_allowed',
    `${lead} ${what}; Charthouse does not connect to ${CLASS_PLURALS[cls]} for an unprotected registry. ` +
      'If the registry lives in a private network, mark the registry Protected; an operator can allow ' +
      'private addresses with CHARTHOUSE_ALLOW_PRIVATE_ENDPOINTS=true.',
  );
}

export function isAddressAllowed(ip: string, policy: AddressPolicy): boolean {
  const cls = classifyAddress(ip);
  if (cls === 'public') return true;
  return policy.allowPrivateEndpoints && !ALWAYS_REFUSED.has(cls);
}

/** Throws `endpoint_not_allowed`, naming the address class, when the policy forbids connecting to `ip`. */
export function checkAddressAllowed(ip: string, policy: AddressPolicy): void {
  if (!isAddressAllowed(ip, policy)) throw refusal(`The address ${ip} is`, classifyAddress(ip));
}

/**
 * The error for a host name whose DNS answer includes a forbidden address. The message names the host
 * and the class but not the address, so probing names does not reveal an internal network's layout.
 */
export function refuseResolvedAddress(hostname: string, ip: string): UpstreamError {
  return refusal(`The host ${hostname} resolves to`, classifyAddress(ip));
}

/**
 * The checks possible before DNS: forbidden metadata host names, and IP-literal hosts (which the
 * socket connects to without any lookup). Other names are checked on the resolved addresses.
 */
export function checkHostAllowed(hostname: string, policy: AddressPolicy): void {
  const host = stripBrackets(hostname).toLowerCase().replace(/\.$/, '');
  if (METADATA_HOST_NAMES.has(host)) throw refusal(`The host ${host} is`, 'metadata');
  const bare = host.replace(/%.*$/, '');
  if (isIPv4(bare) || isIPv6(bare)) checkAddressAllowed(bare, policy);
}
