import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LayerView, ProfileVersionView } from '../client/api-client.js';
import { CliError } from './output.js';
import { contentDifferences, parseProfileFile, tenantForFile, type ProfileFile } from './profile-file.js';

const FILE = `apiVersion: charthouse.io/v1
kind: ClusterProfile
metadata:
  name: platform
  tenant: acme
spec:
  version: 1.1.0
  description: The platform stack
  variables:
    - {name: replicas, type: number, required: true, default: 2}
  layers:
    - name: web
      registry: bitnami
      chart: nginx
      versionConstraint: ~15.4
      releaseName: web
      namespace: apps
      createNamespace: true
      dependsOn: [db]
      values:
        replicaCount: 2
        service:
          type: ClusterIP
        tag: "1.10"
        mode: 0644
        enabled: yes
    - name: db
      registry: bitnami
      chart: postgresql
      version: 12.1.0
      values: |
        auth:
          database: app
`;

/** The problems a refused file lists, as `field: message`. */
function problems(text: string): string[] {
  try {
    parseProfileFile(text, 'profile.yaml');
  } catch (err) {
    assert.ok(err instanceof CliError, String(err));
    return [err.message, ...err.details.map((d) => `${d.field}: ${d.message}`)];
  }
  assert.fail('the file was accepted');
}

describe('profile file', () => {
  it('reads a ClusterProfile into the API body, values dumped as Helm reads them', () => {
    const f = parseProfileFile(FILE, 'profile.yaml');
    assert.equal(f.name, 'platform');
    assert.equal(f.tenant, 'acme');
    assert.equal(f.version, '1.1.0');
    assert.equal(f.description, 'The platform stack');
    assert.deepEqual(f.variables, [{ name: 'replicas', type: 'number', required: true, default: 2 }]);
    assert.deepEqual(f.layers[0], {
      name: 'web',
      registry: 'bitnami',
      chart: 'nginx',
      versionConstraint: '~15.4',
      releaseName: 'web',
      namespace: 'apps',
      createNamespace: true,
      dependsOn: ['db'],
      // In the order written; "1.10" stays a string, 0644 is octal and yes is true as in Helm.
      values: "replicaCount: 2\nservice:\n  type: ClusterIP\ntag: '1.10'\nmode: 420\nenabled: true\n",
    });
    assert.deepEqual(f.layers[1], {
      name: 'db',
      registry: 'bitnami',
      chart: 'postgresql',
      version: '12.1.0',
      values: 'auth:\n  database: app\n',
    });
  });

  it('leaves out what the file leaves out; the description is cleared', () => {
    const f = parseProfileFile(
      'apiVersion: charthouse.io/v1\nkind: ClusterProfile\nmetadata: {name: p}\nspec: {version: 2.0.0}\n',
      'f',
    );
    assert.deepEqual(f, { name: 'p', version: '2.0.0', description: null, variables: [], layers: [] });
  });

  it('refuses a wrong apiVersion or kind, and missing sections, naming the key', () => {
    assert.deepEqual(
      problems('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: p}\nspec: {version: 1.0.0}\n'),
      [
        'profile.yaml is not a valid ClusterProfile',
        'apiVersion: must be charthouse.io/v1',
        'kind: must be ClusterProfile',
      ],
    );
    assert.deepEqual(problems('apiVersion: charthouse.io/v1\nkind: ClusterProfile\n'), [
      'profile.yaml is not a valid ClusterProfile',
      'metadata: is required',
      'metadata.name: is required',
      'spec: is required',
      'spec.version: is required',
    ]);
  });

  it('refuses unknown keys at every level', () => {
    const text = FILE.replace('kind: ClusterProfile', 'kind: ClusterProfile\nstatus: {}')
      .replace('  tenant: acme', '  tenant: acme\n  labels: {}')
      .replace('dependsOn: [db]', 'dependOn: [db]');
    const list = problems(text);
    assert.ok(
      list.includes('status: unknown key (expected one of: apiVersion, kind, metadata, spec)'),
      list.join('\n'),
    );
    assert.ok(list.includes('metadata.labels: unknown key (expected one of: name, tenant)'), list.join('\n'));
    assert.ok(
      list.some((l) => l.startsWith('spec.layers[0].dependOn: unknown key')),
      list.join('\n'),
    );
  });

  it('refuses numbers and booleans where strings belong, with a hint to quote', () => {
    const list = problems(
      FILE.replace('version: 1.1.0', 'version: 1.10').replace('version: 12.1.0', 'version: 12'),
    );
    assert.ok(
      list.includes('spec.version: must be a string (quote it: YAML reads this as a number)'),
      list.join('\n'),
    );
    assert.ok(
      list.includes('spec.layers[1].version: must be a string (quote it: YAML reads this as a number)'),
      list.join('\n'),
    );
  });

  it('checks layer and variable shapes', () => {
    const list = problems(
      FILE.replace('createNamespace: true', 'createNamespace: maybe')
        .replace('type: number', 'type: integer')
        .replace('      chart: postgresql\n', '')
        .replace('values: |\n        auth:\n          database: app\n', 'values: [1, 2]\n')
        .replace('dependsOn: [db]', 'dependsOn: db'),
    );
    assert.deepEqual(list.slice(1).sort(), [
      'spec.layers[0].createNamespace: must be true or false',
      'spec.layers[0].dependsOn: must be a list',
      'spec.layers[1].chart: is required',
      'spec.layers[1].values: must be a mapping of chart values, or a YAML string',
      'spec.variables[0].type: must be one of: string, number, boolean',
    ]);
  });

  it('refuses an unquoted variable reference in a values mapping (YAML reads a mapping as a key)', () => {
    const list = problems(FILE.replace('replicaCount: 2', 'replicaCount: {{ .Variables.replicas }}'));
    assert.match(list[1]!, /^spec\.layers\[0\]\.values\.replicaCount: a mapping used as a key: quote/);
    const quoted = parseProfileFile(
      FILE.replace('replicaCount: 2', 'replicaCount: "{{ .Variables.replicas }}"'),
      'f',
    );
    assert.match(quoted.layers[0]!.values!, /^replicaCount: '\{\{ \.Variables\.replicas \}\}'\n/);
  });

  it('refuses anchors and aliases, syntax errors with their line, and empty files', () => {
    const alias = FILE.replace('replicaCount: 2', 'replicaCount: &n 2\n        other: *n');
    assert.throws(
      () => parseProfileFile(alias, 'p.yaml'),
      /p\.yaml is not valid YAML: YAML anchors and aliases/,
    );
    assert.throws(() => parseProfileFile('spec: [\n', 'p.yaml'), /p\.yaml is not valid YAML: .*\(line \d+\)/);
    assert.throws(() => parseProfileFile('', 'stdin'), /stdin is empty/);
    assert.throws(() => parseProfileFile('- a\n', 'p.yaml'), /must be a YAML mapping/);
    assert.throws(() => parseProfileFile('a: 1\na: 2\n', 'p.yaml'), /not valid YAML: duplicated mapping key/);
  });

  it('takes the tenant from the flag, else the file, else the environment; refuses a mismatch', () => {
    const f: ProfileFile = { name: 'p', version: '1.0.0', description: null, variables: [], layers: [] };
    assert.equal(tenantForFile(f, undefined, 'env'), 'env');
    assert.equal(tenantForFile({ ...f, tenant: 'acme' }, undefined, 'env'), 'acme');
    assert.equal(tenantForFile({ ...f, tenant: 'acme' }, 'acme', undefined), 'acme');
    assert.equal(tenantForFile(f, 'flag', 'env'), 'flag');
    assert.throws(
      () => tenantForFile({ ...f, tenant: 'acme' }, 'other', undefined),
      /--tenant other does not match metadata.tenant acme/,
    );
  });
});

describe('content comparison with a published version', () => {
  const file = parseProfileFile(FILE, 'f');
  const layer = (l: ProfileFile['layers'][number]): LayerView => ({
    name: l.name,
    registry: l.registry,
    registryScope: 'tenant',
    registryKind: 'helm',
    protected: false,
    chart: l.chart,
    version: l.version ?? null,
    versionConstraint: l.versionConstraint ?? null,
    releaseName: l.releaseName ?? l.name,
    namespace: l.namespace ?? 'default',
    createNamespace: l.createNamespace ?? false,
    values: l.values ?? '',
    dependsOn: l.dependsOn ?? [],
    resolvedVersion: '1.0.0',
    digest: null,
    verification: 'catalog',
    upstream: 'present',
    updates: { withinConstraint: null, latest: null },
    warnings: [],
  });
  const server = (): ProfileVersionView => ({
    profile: 'platform',
    version: '1.1.0',
    status: 'published',
    description: 'The platform stack',
    createdAt: '',
    createdBy: 'a',
    updatedAt: '',
    publishedAt: '',
    publishedBy: 'a',
    layerCount: 2,
    variables: [
      {
        name: 'replicas',
        type: 'number',
        description: null,
        required: true,
        sensitive: false,
        default: 2,
        hasDefault: true,
      },
    ],
    layers: file.layers.map(layer),
    installOrder: ['db', 'web'],
    updatesAvailable: 0,
  });

  it('finds none when the server holds the file with its defaults applied', () => {
    assert.deepEqual(contentDifferences(file, server()), []);
  });

  it('names each difference', () => {
    const s = server();
    s.layers[1]!.values = 'auth:\n  database: other\n';
    s.layers[0]!.namespace = 'default';
    s.variables[0]!.default = 3;
    s.description = null;
    assert.deepEqual(contentDifferences(file, s), [
      'description: null → "The platform stack"',
      'layers.web.namespace: "default" → "apps"',
      'layers.db.values: line 2: "  database: other" → "  database: app"',
      'variables.replicas.default: 3 → 2',
    ]);
    const reordered = server();
    reordered.layers.reverse();
    assert.deepEqual(contentDifferences(file, reordered), ['layers: ["db","web"] → ["web","db"]']);
  });

  it('compares a sensitive default only by its presence (the server never returns it)', () => {
    const f: ProfileFile = {
      ...file,
      variables: [{ name: 'token', type: 'string', sensitive: true, default: 's3cret' }],
    };
    const s = server();
    s.variables = [
      {
        name: 'token',
        type: 'string',
        description: null,
        required: false,
        sensitive: true,
        hasDefault: true,
      },
    ];
    assert.deepEqual(contentDifferences(f, s), []);
    s.variables[0]!.hasDefault = false;
    assert.deepEqual(contentDifferences(f, s), ['variables.token.default (set): false → true']);
  });
});
