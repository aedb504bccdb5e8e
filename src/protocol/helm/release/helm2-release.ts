import {
  checkChartName,
  checkChartVersion,
  checkNamespace,
  checkReleaseName,
  checkRevision,
  checkStatus,
  releaseBytes,
  ReleaseDecodeError,
  resolveReleaseLimits,
  type ReleaseLimits,
} from './release-payload.js';
import type { DecodedRelease } from './release-record.js';

/*
 * Helm 2 (Tiller) releases, which discovery lists but never syncs (SPEC §2). Tiller's ConfigMap driver
 * stores `<name>.v<revision>` with labels OWNER=TILLER, NAME, VERSION, STATUS and `data.release` =
 * base64(gzip(protobuf hapi.release.Release)).
 *
 * Only the few fields we record are read, by hand (no protobuf library for five fields): a bounded
 * walker over varint and length-delimited fields, entering only the messages below and skipping the
 * rest (templates, values, hooks). Field numbers from helm/helm v2 `_proto/hapi`:
 *   release.proto   Release { name = 1; Info info = 2; hapi.chart.Chart chart = 3; version = 7; namespace = 8 }
 *   info.proto      Info { Status status = 1; Timestamp first_deployed = 2; Timestamp last_deployed = 3 }
 *   status.proto    Status { Code code = 1 }  (UNKNOWN 0, DEPLOYED 1, DELETED 2, SUPERSEDED 3, FAILED 4,
 *                   DELETING 5, PENDING_INSTALL 6, PENDING_UPGRADE 7, PENDING_ROLLBACK 8)
 *   chart.proto     Chart { Metadata metadata = 1 }
 *   metadata.proto  Metadata { name = 1; version = 4; appVersion = 13 }
 *   google.protobuf.Timestamp { int64 seconds = 1; int32 nanos = 2 }
 *
 * Decision: a payload that does not decode (not base64, not gzip, not this protobuf, no chart name or
 * version) is refused with ReleaseDecodeError rather than listed from its labels alone: the labels do
 * not name the chart, and a row without a chart is of no use to matching. The caller reports it as a
 * warning naming the ConfigMap. Labels fill in only what proto3 leaves out when it is zero (revision)
 * and the status when the Status message is missing.
 */

const STATUS_CODES = [
  'UNKNOWN',
  'DEPLOYED',
  'DELETED',
  'SUPERSEDED',
  'FAILED',
  'DELETING',
  'PENDING_INSTALL',
  'PENDING_UPGRADE',
  'PENDING_ROLLBACK',
];

const invalid = (message: string) =>
  new ReleaseDecodeError('invalid_release', `The Helm 2 release is not readable: ${message}`);

type FieldValue = number | Buffer;

/** The fields of one message: number → values in order (varints as numbers, length-delimited as bytes). */
function readMessage(bytes: Buffer, what: string): Map<number, FieldValue[]> {
  const fields = new Map<number, FieldValue[]>();
  let at = 0;
  const varint = (): number => {
    let value = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      if (at >= bytes.length) throw invalid(`${what} ends inside a number.`);
      const byte = bytes[at++]!;
      // Multiplication, not <<, so values above 2^31 stay right (precise up to 2^53, plenty here).
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return value;
    }
    throw invalid(`${what} holds a number longer than 10 bytes.`);
  };
  while (at < bytes.length) {
    const key = varint();
    const number = Math.floor(key / 8);
    const wire = key % 8;
    if (number === 0) throw invalid(`${what} has a field numbered 0.`);
    let value: FieldValue;
    switch (wire) {
      case 0:
        value = varint();
        break;
      case 1:
      case 5: {
        const size = wire === 1 ? 8 : 4;
        if (at + size > bytes.length) throw invalid(`${what} ends inside a fixed-size field.`);
        at += size;
        continue;
      }
      case 2: {
        const length = varint();
        if (length > bytes.length - at) throw invalid(`${what} has a field longer than the message.`);
        value = bytes.subarray(at, at + length);
        at += length;
        break;
      }
      default:
        throw invalid(`${what} uses protobuf wire type ${wire}, which hapi.release.Release never does.`);
    }
    const list = fields.get(number);
    if (list) list.push(value);
    else fields.set(number, [value]);
  }
  return fields;
}

/** proto3: the last occurrence of a singular field wins. */
function last(fields: Map<number, FieldValue[]>, number: number): FieldValue | undefined {
  const values = fields.get(number);
  return values?.[values.length - 1];
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function text(fields: Map<number, FieldValue[]>, number: number, what: string): string {
  const value = last(fields, number);
  if (value === undefined) return '';
  if (typeof value === 'number') throw invalid(`${what} is a number, not text.`);
  try {
    return utf8.decode(value);
  } catch {
    throw invalid(`${what} is not UTF-8 text.`);
  }
}

function message(fields: Map<number, FieldValue[]>, number: number, what: string): Map<number, FieldValue[]> {
  const value = last(fields, number);
  if (value === undefined) return new Map();
  if (typeof value === 'number') throw invalid(`${what} is a number, not a message.`);
  return readMessage(value, what);
}

function integer(fields: Map<number, FieldValue[]>, number: number, what: string): number {
  const value = last(fields, number) ?? 0;
  if (typeof value !== 'number') throw invalid(`${what} is not a number.`);
  return value;
}

/** A google.protobuf.Timestamp as RFC 3339 (Go's format: fraction without trailing zeros), or null. */
function timestamp(fields: Map<number, FieldValue[]>): string | null {
  const seconds = integer(fields, 1, 'A timestamp');
  const nanos = integer(fields, 2, 'A timestamp');
  // Unset, or beyond what a Date holds (varints of negative int64 come out huge).
  if (seconds === 0 || seconds > 253402300799 || nanos > 999_999_999) return null;
  const base = new Date(seconds * 1000).toISOString().slice(0, 19);
  const fraction = nanos === 0 ? '' : `.${String(nanos).padStart(9, '0').replace(/0+$/, '')}`;
  return `${base}${fraction}Z`;
}

/**
 * Decodes `data.release` of a Tiller ConfigMap (base64 of gzip(protobuf)) with the ConfigMap's labels.
 * Throws ReleaseDecodeError when it cannot be read (see the decision above).
 */
export function decodeHelm2Release(
  payload: string,
  labels: Record<string, string>,
  limits: Partial<ReleaseLimits> = {},
): DecodedRelease {
  let bytes: Buffer;
  try {
    bytes = releaseBytes(payload, resolveReleaseLimits(limits));
  } catch (error) {
    if (error instanceof ReleaseDecodeError && error.code === 'invalid_release')
      throw invalid(error.message.charAt(0).toLowerCase() + error.message.slice(1));
    throw error;
  }
  const release = readMessage(bytes, 'The release');
  const info = message(release, 2, 'The release info');
  const status = message(info, 1, 'The release status');
  const chart = message(release, 3, 'The chart');
  const metadata = message(chart, 1, 'The chart metadata');
  if (metadata.size === 0) throw invalid('it has no chart metadata.');
  const code = status.size > 0 ? integer(status, 1, 'The status code') : undefined;
  const revision = integer(release, 7, 'The release version') || Number(labels['VERSION']);
  const appVersion = text(metadata, 13, 'The chart appVersion');
  return {
    summary: {
      name: checkReleaseName(text(release, 1, 'The release name') || labels['NAME']),
      namespace: checkNamespace(text(release, 8, 'The release namespace')),
      revision: checkRevision(revision),
      status: checkStatus(code !== undefined ? (STATUS_CODES[code] ?? 'UNKNOWN') : labels['STATUS']),
      chartName: checkChartName(text(metadata, 1, 'The chart name')),
      chartVersion: checkChartVersion(text(metadata, 4, 'The chart version')),
      appVersion: appVersion === '' ? null : checkChartVersion(appVersion),
      firstDeployed: timestamp(message(info, 2, 'first_deployed')),
      lastDeployed: timestamp(message(info, 3, 'last_deployed')),
      driver: 'configmap',
      helmMajor: 2,
    },
    chart: null,
    config: {},
  };
}
