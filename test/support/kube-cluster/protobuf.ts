import { errors } from './status.js';

/*
 * Decoding of the protobuf bodies client-go's typed clients send (helm's release Secrets and their
 * DeleteOptions: kubernetes/kubernetes PR #125314; a 415 does not make them fall back to JSON).
 *
 * The wire format needs only varints and length-delimited fields, and the few messages we meet are
 * listed below by field number (k8s.io/api core/v1 and k8s.io/apimachinery meta/v1 generated.proto),
 * so a hand-written decoder of ~150 lines beats adding protobufjs plus .proto files to the dev
 * dependencies. Unknown fields are skipped, as protobuf readers do; an unknown *kind* is a 415 naming
 * it, so a new message type shows up as a clear failure rather than an empty object.
 *
 * Body layout: the 4 magic bytes `k8s\0`, then a runtime.Unknown message
 *   { typeMeta = 1 { apiVersion = 1, kind = 2 }, raw = 2, contentEncoding = 3, contentType = 4 }
 * whose `raw` is the object's own message. The result is the object in its JSON form (bytes become
 * base64, int64 numbers, Time an RFC 3339 string).
 */

export const PROTOBUF_MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

interface WireField {
  field: number;
  wireType: number;
  varint?: bigint;
  bytes?: Buffer;
}

function readVarint(buf: Buffer, pos: number): [bigint, number] {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    if (pos >= buf.length) throw new Error('truncated varint');
    const byte = buf[pos++]!;
    result |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return [result, pos];
    shift += 7n;
    if (shift > 63n) throw new Error('varint longer than 10 bytes');
  }
}

/** The fields of one message, in wire order. */
export function readFields(buf: Buffer): WireField[] {
  const fields: WireField[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const [tag, afterTag] = readVarint(buf, pos);
    pos = afterTag;
    const field = Number(tag >> 3n);
    const wireType = Number(tag & 7n);
    if (wireType === 0) {
      const [value, next] = readVarint(buf, pos);
      fields.push({ field, wireType, varint: value });
      pos = next;
    } else if (wireType === 2) {
      const [length, next] = readVarint(buf, pos);
      const end = next + Number(length);
      if (end > buf.length) throw new Error(`field ${field} runs past the end of the message`);
      fields.push({ field, wireType, bytes: buf.subarray(next, end) });
      pos = end;
    } else if (wireType === 1) pos += 8;
    else if (wireType === 5) pos += 4;
    else throw new Error(`unsupported wire type ${wireType} (field ${field})`);
  }
  return fields;
}

type FieldType =
  | 'string'
  | 'bytes'
  | 'int'
  | 'bool'
  | 'time'
  | 'rawJson'
  | { message: Schema }
  | { map: 'string' | 'bytes' };

interface FieldSpec {
  name: string;
  type: FieldType;
  repeated?: boolean;
}

type Schema = Record<number, FieldSpec>;

// meta/v1 Time is { seconds = 1, nanos = 2 }; JSON has it as second-precision RFC 3339.
const TIME: Schema = { 1: { name: 'seconds', type: 'int' } };
// meta/v1 FieldsV1 is { Raw = 1 } holding the JSON of the managed-fields tree.
const FIELDS_V1: Schema = { 1: { name: 'raw', type: 'rawJson' } };

const OWNER_REFERENCE: Schema = {
  1: { name: 'kind', type: 'string' },
  3: { name: 'name', type: 'string' },
  4: { name: 'uid', type: 'string' },
  5: { name: 'apiVersion', type: 'string' },
  6: { name: 'controller', type: 'bool' },
  7: { name: 'blockOwnerDeletion', type: 'bool' },
};

const MANAGED_FIELDS_ENTRY: Schema = {
  1: { name: 'manager', type: 'string' },
  2: { name: 'operation', type: 'string' },
  3: { name: 'apiVersion', type: 'string' },
  4: { name: 'time', type: 'time' },
  6: { name: 'fieldsType', type: 'string' },
  7: { name: 'fieldsV1', type: { message: FIELDS_V1 } },
  8: { name: 'subresource', type: 'string' },
};

const OBJECT_META: Schema = {
  1: { name: 'name', type: 'string' },
  2: { name: 'generateName', type: 'string' },
  3: { name: 'namespace', type: 'string' },
  4: { name: 'selfLink', type: 'string' },
  5: { name: 'uid', type: 'string' },
  6: { name: 'resourceVersion', type: 'string' },
  7: { name: 'generation', type: 'int' },
  8: { name: 'creationTimestamp', type: 'time' },
  9: { name: 'deletionTimestamp', type: 'time' },
  10: { name: 'deletionGracePeriodSeconds', type: 'int' },
  11: { name: 'labels', type: { map: 'string' } },
  12: { name: 'annotations', type: { map: 'string' } },
  13: { name: 'ownerReferences', type: { message: OWNER_REFERENCE }, repeated: true },
  14: { name: 'finalizers', type: 'string', repeated: true },
  17: { name: 'managedFields', type: { message: MANAGED_FIELDS_ENTRY }, repeated: true },
};

const metadata: FieldSpec = { name: 'metadata', type: { message: OBJECT_META } };

/** The messages a body may carry, by `kind` in the envelope's TypeMeta. */
const KINDS: Record<string, Schema> = {
  Secret: {
    1: metadata,
    2: { name: 'data', type: { map: 'bytes' } },
    3: { name: 'type', type: 'string' },
    4: { name: 'stringData', type: { map: 'string' } },
    5: { name: 'immutable', type: 'bool' },
  },
  ConfigMap: {
    1: metadata,
    2: { name: 'data', type: { map: 'string' } },
    3: { name: 'binaryData', type: { map: 'bytes' } },
    4: { name: 'immutable', type: 'bool' },
  },
  Namespace: {
    1: metadata,
    2: { name: 'spec', type: { message: { 1: { name: 'finalizers', type: 'string', repeated: true } } } },
    3: { name: 'status', type: { message: { 1: { name: 'phase', type: 'string' } } } },
  },
  DeleteOptions: {
    1: { name: 'gracePeriodSeconds', type: 'int' },
    2: {
      name: 'preconditions',
      type: {
        message: { 1: { name: 'uid', type: 'string' }, 2: { name: 'resourceVersion', type: 'string' } },
      },
    },
    3: { name: 'orphanDependents', type: 'bool' },
    4: { name: 'propagationPolicy', type: 'string' },
    5: { name: 'dryRun', type: 'string', repeated: true },
  },
};

function decodeValue(f: WireField, type: FieldType): unknown {
  if (type === 'int') return Number(BigInt.asIntN(64, f.varint ?? 0n));
  if (type === 'bool') return (f.varint ?? 0n) !== 0n;
  const bytes = f.bytes ?? Buffer.alloc(0);
  if (type === 'string') return bytes.toString('utf8');
  if (type === 'bytes') return bytes.toString('base64');
  if (type === 'rawJson') return JSON.parse(bytes.toString('utf8')) as unknown;
  if (type === 'time') {
    const { seconds } = decodeMessage(bytes, TIME) as { seconds?: number };
    return new Date((seconds ?? 0) * 1000).toISOString().replace('.000Z', 'Z');
  }
  if ('message' in type) return decodeMessage(bytes, type.message);
  // A map<string, V> is a repeated entry message { key = 1, value = 2 }.
  let key = '';
  let value: unknown = '';
  for (const entryField of readFields(bytes)) {
    if (entryField.field === 1) key = decodeValue(entryField, 'string') as string;
    if (entryField.field === 2) value = decodeValue(entryField, type.map);
  }
  return [key, value];
}

function decodeMessage(buf: Buffer, schema: Schema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of readFields(buf)) {
    const spec = schema[f.field];
    if (!spec) continue;
    const value = decodeValue(f, spec.type);
    if (typeof spec.type === 'object' && 'map' in spec.type) {
      const [k, v] = value as [string, unknown];
      ((out[spec.name] ??= {}) as Record<string, unknown>)[k] = v;
    } else if (spec.repeated) ((out[spec.name] ??= []) as unknown[]).push(value);
    else if (spec.type === 'rawJson') return value as Record<string, unknown>;
    else out[spec.name] = value;
  }
  return out;
}

export function isProtobufEnvelope(body: Buffer): boolean {
  return body.length >= 4 && body.subarray(0, 4).equals(PROTOBUF_MAGIC);
}

/** Decodes a `k8s\0`-prefixed body into the object's JSON form, with `apiVersion` and `kind` set. */
export function decodeProtobufObject(body: Buffer): Record<string, unknown> {
  if (!isProtobufEnvelope(body)) {
    throw errors.badRequest('protobuf body does not start with the magic bytes "k8s\\0"');
  }
  let unknown: Record<string, unknown>;
  try {
    unknown = decodeMessage(body.subarray(4), {
      1: {
        name: 'typeMeta',
        type: { message: { 1: { name: 'apiVersion', type: 'string' }, 2: { name: 'kind', type: 'string' } } },
      },
      2: { name: 'raw', type: 'bytes' },
      3: { name: 'contentEncoding', type: 'string' },
      4: { name: 'contentType', type: 'string' },
    });
  } catch (err) {
    throw errors.badRequest(`malformed protobuf envelope: ${(err as Error).message}`);
  }
  const typeMeta = (unknown['typeMeta'] ?? {}) as { apiVersion?: string; kind?: string };
  const kind = typeMeta.kind ?? '';
  const schema = KINDS[kind];
  if (!schema) {
    throw errors.unsupportedMediaType(
      `the test cluster cannot decode protobuf "${kind}" bodies (it knows ${Object.keys(KINDS).join(', ')}): add its fields to test/support/kube-cluster/protobuf.ts`,
    );
  }
  if (unknown['contentEncoding'])
    throw errors.unsupportedMediaType(
      `unsupported protobuf contentEncoding "${String(unknown['contentEncoding'])}"`,
    );
  try {
    const raw = Buffer.from((unknown['raw'] as string | undefined) ?? '', 'base64');
    return { apiVersion: typeMeta.apiVersion ?? '', kind, ...decodeMessage(raw, schema) };
  } catch (err) {
    throw errors.badRequest(`malformed protobuf ${kind}: ${(err as Error).message}`);
  }
}
