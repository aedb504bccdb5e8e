import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeProtobufObject } from '../support/kube-cluster/protobuf.js';
import {
  fieldSet,
  jsonPatch,
  mergePatch,
  removeUnappliedFields,
  strategicMergePatch,
  type JsonObject,
} from '../support/kube-cluster/patch.js';
import { parseFieldSelector, parseLabelSelector } from '../support/kube-cluster/selectors.js';
import { KubeApiError } from '../support/kube-cluster/status.js';

/*
 * The pure parts of the test cluster. The protobuf bodies are encoded here by hand, field by field,
 * from the field numbers of k8s.io/api and k8s.io/apimachinery generated.proto, so the decoder is
 * checked against the wire format and not against itself (kube-cluster-clis.test.ts also decodes the
 * bytes the real helm sends).
 */

function varint(n: number): Buffer {
  const bytes: number[] = [];
  let v = BigInt(n);
  do {
    const low = Number(v & 0x7fn);
    v >>= 7n;
    bytes.push(v > 0n ? low | 0x80 : low);
  } while (v > 0n);
  return Buffer.from(bytes);
}

/** A length-delimited field (wire type 2). */
function ld(field: number, value: Buffer | string): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value) : value;
  return Buffer.concat([varint((field << 3) | 2), varint(bytes.length), bytes]);
}

/** A varint field (wire type 0). */
function vi(field: number, value: number): Buffer {
  return Buffer.concat([varint(field << 3), varint(value)]);
}

const entry = (field: number, key: string, value: Buffer | string) =>
  ld(field, Buffer.concat([ld(1, key), ld(2, value)]));

function envelope(apiVersion: string, kind: string, raw: Buffer): Buffer {
  const typeMeta = Buffer.concat([ld(1, apiVersion), ld(2, kind)]);
  return Buffer.concat([Buffer.from('k8s\0', 'latin1'), ld(1, typeMeta), ld(2, raw)]);
}

function expectStatus(fn: () => unknown, code: number, message: RegExp): void {
  assert.throws(
    fn,
    (err: unknown) => err instanceof KubeApiError && err.code === code && message.test(err.message),
  );
}

describe('protobuf bodies', () => {
  it('decodes a Secret as helm sends it: metadata, labels, bytes data, type', () => {
    const metadata = Buffer.concat([
      ld(1, 'sh.helm.release.v1.demo.v1'),
      ld(3, 'team-a'),
      ld(6, '42'),
      ld(8, vi(1, 1_700_000_000)),
      entry(11, 'owner', 'helm'),
      entry(11, 'status', 'deployed'),
      entry(12, 'note', 'x'),
      ld(14, 'example.com/keep'),
    ]);
    const secret = Buffer.concat([
      ld(1, metadata),
      entry(2, 'release', Buffer.from([0x1f, 0x8b, 0x08, 0x00])),
      ld(3, 'helm.sh/release.v1'),
      vi(5, 1),
      // A field this decoder does not know is skipped, as protobuf readers do.
      ld(99, 'future'),
    ]);
    assert.deepEqual(decodeProtobufObject(envelope('v1', 'Secret', secret)), {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 'sh.helm.release.v1.demo.v1',
        namespace: 'team-a',
        resourceVersion: '42',
        creationTimestamp: '2023-11-14T22:13:20Z',
        labels: { owner: 'helm', status: 'deployed' },
        annotations: { note: 'x' },
        finalizers: ['example.com/keep'],
      },
      data: { release: 'H4sIAA==' },
      type: 'helm.sh/release.v1',
      immutable: true,
    });
  });

  it('decodes ConfigMap, Namespace and DeleteOptions', () => {
    const cm = Buffer.concat([
      ld(1, ld(1, 'settings')),
      entry(2, 'a', 'one'),
      entry(3, 'bin', Buffer.from('hi')),
    ]);
    assert.deepEqual(decodeProtobufObject(envelope('v1', 'ConfigMap', cm)), {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'settings' },
      data: { a: 'one' },
      binaryData: { bin: 'aGk=' },
    });
    const ns = Buffer.concat([ld(1, ld(1, 'team-a')), ld(2, ld(1, 'kubernetes')), ld(3, ld(1, 'Active'))]);
    assert.deepEqual(decodeProtobufObject(envelope('v1', 'Namespace', ns)), {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'team-a' },
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    });
    const del = Buffer.concat([
      vi(1, 0),
      ld(2, Buffer.concat([ld(1, 'uid-1'), ld(2, '7')])),
      ld(4, 'Background'),
      ld(5, 'All'),
    ]);
    assert.deepEqual(decodeProtobufObject(envelope('v1', 'DeleteOptions', del)), {
      apiVersion: 'v1',
      kind: 'DeleteOptions',
      gracePeriodSeconds: 0,
      preconditions: { uid: 'uid-1', resourceVersion: '7' },
      propagationPolicy: 'Background',
      dryRun: ['All'],
    });
  });

  it('refuses bodies it cannot read, naming what to add', () => {
    expectStatus(
      () => decodeProtobufObject(envelope('apps/v1', 'Deployment', Buffer.alloc(0))),
      415,
      /cannot decode protobuf "Deployment".*protobuf\.ts/,
    );
    expectStatus(() => decodeProtobufObject(Buffer.from('{"kind":"Secret"}')), 400, /magic bytes/);
    expectStatus(
      () =>
        decodeProtobufObject(
          Buffer.concat([Buffer.from('k8s\0', 'latin1'), Buffer.from([0x0a, 0x10, 0x01])]),
        ),
      400,
      /past the end/,
    );
  });
});

describe('label and field selectors', () => {
  const labels = { tier: 'web', env: 'prod', replicas: '3' };
  const cases: [string, boolean][] = [
    ['', true],
    ['tier=web', true],
    ['tier==web', true],
    ['tier=api', false],
    ['tier!=api', true],
    ['missing!=x', true],
    ['tier in (api, web)', true],
    ['tier notin (web)', false],
    ['missing notin (web)', true],
    ['env', true],
    ['!env', false],
    ['!missing', true],
    ['tier=web,env in (prod,stage),!canary', true],
    ['tier=web,env=stage', false],
    ['replicas>2', true],
    ['replicas<2', false],
    ['example.com/team', false],
  ];
  for (const [selector, expected] of cases) {
    it(`"${selector}" ${expected ? 'selects' : 'does not select'} ${JSON.stringify(labels)}`, () => {
      assert.equal(parseLabelSelector(selector)(labels), expected);
    });
  }

  it('answers 400 for malformed selectors and unindexed fields', () => {
    expectStatus(() => parseLabelSelector('tier=web!'), 400, /invalid label value/);
    expectStatus(() => parseLabelSelector('-bad=x'), 400, /invalid label key/);
    expectStatus(
      () => parseFieldSelector('spec.replicas=1', ['metadata.name']),
      400,
      /"spec.replicas" is not a known field selector/,
    );
    const fields = parseFieldSelector('metadata.name=a,metadata.namespace!=b', [
      'metadata.name',
      'metadata.namespace',
    ]);
    assert.equal(fields({ 'metadata.name': 'a', 'metadata.namespace': 'c' }), true);
    assert.equal(fields({ 'metadata.name': 'a', 'metadata.namespace': 'b' }), false);
  });
});

describe('patches', () => {
  const deployment: JsonObject = {
    metadata: { name: 'web', labels: { app: 'web', old: 'yes' } },
    spec: {
      replicas: 1,
      template: {
        spec: {
          containers: [
            {
              name: 'web',
              image: 'nginx:1',
              ports: [{ containerPort: 80 }],
              env: [{ name: 'A', value: '1' }],
            },
            { name: 'sidecar', image: 'envoy:1' },
          ],
        },
      },
    },
  };

  it('merge patch (RFC 7386): maps merge, null deletes, lists are replaced', () => {
    const patched = mergePatch(deployment, {
      metadata: { labels: { old: null, new: 'x' } },
      spec: { replicas: 2 },
    }) as JsonObject;
    assert.deepEqual((patched['metadata'] as JsonObject)['labels'], { app: 'web', new: 'x' });
    assert.equal((patched['spec'] as JsonObject)['replicas'], 2);
  });

  it('strategic merge patch: lists merge by key, $patch delete, $setElementOrder, $retainKeys', () => {
    const patch: JsonObject = {
      spec: {
        template: {
          spec: {
            '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'web' }],
            containers: [
              { name: 'web', image: 'nginx:2', env: [{ name: 'B', value: '2' }] },
              { name: 'gone', $patch: 'delete' },
            ],
          },
        },
        strategy: { $retainKeys: ['type'], type: 'Recreate' },
      },
    };
    const patched = strategicMergePatch(deployment, patch) as JsonObject;
    const spec = patched['spec'] as JsonObject;
    const containers = ((spec['template'] as JsonObject)['spec'] as JsonObject)['containers'] as JsonObject[];
    assert.deepEqual(
      containers.map((c) => c['name']),
      ['sidecar', 'web'],
    );
    assert.deepEqual(containers[1], {
      name: 'web',
      image: 'nginx:2',
      ports: [{ containerPort: 80 }],
      env: [
        { name: 'A', value: '1' },
        { name: 'B', value: '2' },
      ],
    });
    assert.deepEqual(spec['strategy'], { type: 'Recreate' });
    const deleted = strategicMergePatch(deployment, {
      spec: { template: { spec: { containers: [{ name: 'sidecar', $patch: 'delete' }] } } },
    }) as JsonObject;
    assert.deepEqual(
      (
        (((deleted['spec'] as JsonObject)['template'] as JsonObject)['spec'] as JsonObject)[
          'containers'
        ] as JsonObject[]
      ).map((c) => c['name']),
      ['web'],
    );
  });

  it('json patch (RFC 6902): add, remove, replace, move, copy, test', () => {
    const doc = jsonPatch({ a: { b: [1, 2] }, c: 'x' }, [
      { op: 'add', path: '/a/b/-', value: 3 },
      { op: 'remove', path: '/a/b/0' },
      { op: 'replace', path: '/c', value: 'y' },
      { op: 'copy', from: '/c', path: '/d' },
      { op: 'move', from: '/d', path: '/e~1f' },
      { op: 'test', path: '/e~1f', value: 'y' },
    ]);
    assert.deepEqual(doc, { a: { b: [2, 3] }, c: 'y', 'e/f': 'y' });
    expectStatus(
      () => jsonPatch({ a: 1 }, [{ op: 'test', path: '/a', value: 2 }]),
      422,
      /test operation failed/,
    );
    expectStatus(() => jsonPatch({ a: 1 }, [{ op: 'replace', path: '/b', value: 2 }]), 422, /does not exist/);
  });

  it('server-side apply removes what the manager applied before and no longer applies', () => {
    const first = { metadata: { labels: { app: 'web', tier: 'x' } }, data: { a: '1', b: '2' } };
    const second = { metadata: { labels: { app: 'web' } }, data: { a: '1' } };
    const live: JsonObject = {
      metadata: { name: 'cm', labels: { app: 'web', tier: 'x', other: 'kept' } },
      data: { a: '1', b: '2', c: 'by-someone-else' },
    };
    assert.deepEqual(fieldSet(second), {
      'f:metadata': { '.': {}, 'f:labels': { '.': {}, 'f:app': {} } },
      'f:data': { '.': {}, 'f:a': {} },
    });
    removeUnappliedFields(live, fieldSet(first), fieldSet(second));
    assert.deepEqual(live, {
      metadata: { name: 'cm', labels: { app: 'web', other: 'kept' } },
      data: { a: '1', c: 'by-someone-else' },
    });
  });
});
