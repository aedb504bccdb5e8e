import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LayerView, ProfileVersionView } from '../../src/client/api-client.js';
import {
  defaultValue,
  draftErrors,
  emptyLayer,
  emptyVariable,
  formFromVersion,
  inInstallOrder,
  moveLayer,
  pickableRegistries,
  pickableVersions,
  removeLayer,
  renameLayer,
  suggestNextVersion,
  updateBadges,
  versionBody,
  type DraftForm,
} from '../../web/src/profiles/profile-form-model.js';

/** The profile editor's pure logic: form ⇄ PUT body, 422 details placed on controls, badges. */

const layerView = (over: Partial<LayerView> = {}): LayerView => ({
  name: 'web',
  registry: 'stable',
  registryScope: 'tenant',
  registryKind: 'helm',
  protected: false,
  chart: 'web',
  version: '1.2.0',
  versionConstraint: null,
  releaseName: 'web',
  namespace: 'default',
  createNamespace: false,
  values: 'replicaCount: 2\n',
  dependsOn: [],
  resolvedVersion: '1.2.0',
  digest: null,
  verification: 'catalog',
  upstream: 'present',
  updates: { withinConstraint: null, latest: null },
  warnings: [],
  ...over,
});

const versionView = (over: Partial<ProfileVersionView> = {}): ProfileVersionView => ({
  profile: 'base',
  version: '1.0.0',
  status: 'draft',
  description: null,
  createdAt: '2026-01-01T00:00:00Z',
  createdBy: 'admin',
  updatedAt: '2026-01-01T00:00:00Z',
  publishedAt: null,
  publishedBy: null,
  layerCount: 0,
  variables: [],
  layers: [],
  installOrder: [],
  updatesAvailable: 0,
  ...over,
});

describe('profile form model', () => {
  it('round-trips a version: default release names stay defaults, constraints stay constraints', () => {
    const view = versionView({
      description: 'Base stack',
      layers: [
        layerView(),
        layerView({
          name: 'db',
          chart: 'postgres',
          version: null,
          versionConstraint: '~1.2',
          releaseName: 'main-db',
          namespace: 'data',
          createNamespace: true,
          dependsOn: ['web'],
          values: '',
        }),
      ],
      variables: [
        {
          name: 'DOMAIN',
          type: 'string',
          description: null,
          required: true,
          sensitive: false,
          default: 'example.com',
          hasDefault: true,
        },
        {
          name: 'TOKEN',
          type: 'string',
          description: null,
          required: false,
          sensitive: true,
          hasDefault: true,
        },
      ],
    });
    const form = formFromVersion(view);
    assert.equal(form.layers[0]!.releaseName, '');
    assert.equal(form.layers[1]!.mode, 'constraint');
    assert.deepEqual(versionBody(form), {
      description: 'Base stack',
      layers: [
        {
          name: 'web',
          registry: 'stable',
          chart: 'web',
          version: '1.2.0',
          namespace: 'default',
          createNamespace: false,
          values: 'replicaCount: 2\n',
          dependsOn: [],
        },
        {
          name: 'db',
          registry: 'stable',
          chart: 'postgres',
          versionConstraint: '~1.2',
          releaseName: 'main-db',
          namespace: 'data',
          createNamespace: true,
          values: '',
          dependsOn: ['web'],
        },
      ],
      // The stored secret is never sent back: without `default` the server keeps it.
      variables: [
        { name: 'DOMAIN', type: 'string', required: true, sensitive: false, default: 'example.com' },
        { name: 'TOKEN', type: 'string', required: false, sensitive: true },
      ],
    });
  });

  it('sends only the version or the constraint the mode picks, and the namespace default', () => {
    const layer = {
      ...emptyLayer(),
      name: 'a',
      registry: 'r',
      chart: 'c',
      version: '1.0.0',
      versionConstraint: '^1',
      namespace: ' ',
    };
    const form: DraftForm = { description: '', layers: [layer], variables: [] };
    const exact = versionBody(form).layers![0]!;
    assert.equal(exact.version, '1.0.0');
    assert.equal(exact.versionConstraint, undefined);
    assert.equal(exact.namespace, 'default');
    const ranged = versionBody({ ...form, layers: [{ ...layer, mode: 'constraint' }] }).layers![0]!;
    assert.equal(ranged.version, undefined);
    assert.equal(ranged.versionConstraint, '^1');
    assert.equal(versionBody(form).description, null);
  });

  it('replaces or clears a stored sensitive default only when asked', () => {
    const stored = { ...emptyVariable(), name: 'TOKEN', sensitive: true, storedSecret: true };
    const body = (v: typeof stored) =>
      versionBody({ description: '', layers: [], variables: [v] }).variables![0]!;
    assert.equal('default' in body(stored), false);
    assert.equal(body({ ...stored, secretAction: 'replace', defaultText: 's3cret' }).default, 's3cret');
    assert.equal(body({ ...stored, secretAction: 'clear' }).clearDefault, true);
    assert.equal(
      body({ ...stored, sensitive: true, storedSecret: false, defaultText: 'new' }).default,
      'new',
    );
  });

  it('reads defaults in their type, leaving unreadable text for the server to name', () => {
    assert.equal(defaultValue('number', '3'), 3);
    assert.equal(defaultValue('number', 'three'), 'three');
    assert.equal(defaultValue('boolean', 'true'), true);
    assert.equal(defaultValue('boolean', 'false'), false);
    assert.equal(defaultValue('string', '3'), '3');
  });

  it('places 422 details on layer fields, values paths and variables, the rest at the top', () => {
    const errors = draftErrors([
      { field: 'layers[2].version', message: 'web: version 9.9.9 is not in registry "stable"' },
      { field: 'layers[0].values.image.tag', message: 'web: values image.tag: must be string' },
      { field: 'layers[0].values', message: 'web: values: must have required property replicaCount' },
      { field: 'layers[1].dependsOn[0]', message: 'db: depends on "nope", which is not a layer' },
      { field: 'variables[1].default', message: 'variables[1].default: the default must be a number' },
      { field: 'layers', message: 'base 1.0.0 has no layers: add at least one before publishing.' },
      { field: 'layers[2].version', message: 'a second message for the same field' },
    ]);
    assert.equal(errors.layers[2]!.fields.version, 'Web: version 9.9.9 is not in registry "stable".');
    assert.deepEqual(
      errors.layers[0]!.values.map((v) => v.path),
      ['image.tag', ''],
    );
    assert.match(errors.layers[1]!.fields.dependsOn!, /not a layer/);
    assert.equal(errors.variables[1]!.default, 'The default must be a number.');
    assert.equal(errors.all[4], 'Variable 2, default: The default must be a number.');
    assert.deepEqual(errors.general, ['Base 1.0.0 has no layers: add at least one before publishing.']);
    assert.equal(errors.all.length, 7);
  });

  it('keeps dependsOn in step with renames, removals; moves stay inside the list', () => {
    const a = { ...emptyLayer(), name: 'a' };
    const b = { ...emptyLayer(), name: 'b', dependsOn: ['a'] };
    let form: DraftForm = { description: '', layers: [a, b], variables: [] };
    form = renameLayer(form, 0, 'app');
    assert.deepEqual(form.layers[1]!.dependsOn, ['app']);
    assert.deepEqual(
      moveLayer(form, 0, 1).layers.map((l) => l.name),
      ['b', 'app'],
    );
    assert.equal(moveLayer(form, 0, -1), form);
    form = removeLayer(form, 0);
    assert.deepEqual(
      form.layers.map((l) => [l.name, l.dependsOn]),
      [['b', []]],
    );
  });

  it('hides pre-releases until asked, and suggests the next minor version', () => {
    const versions = [
      { version: '2.0.0', prerelease: false },
      { version: '1.3.0-rc.1', prerelease: true },
      { version: '1.2.9', prerelease: false },
    ];
    assert.deepEqual(
      pickableVersions(versions, false).map((v) => v.version),
      ['2.0.0', '1.2.9'],
    );
    assert.equal(pickableVersions(versions, true).length, 3);
    assert.equal(suggestNextVersion('1.0.0'), '1.1.0');
    assert.equal(suggestNextVersion('2.9.3-rc.1'), '2.10.0');
    assert.equal(suggestNextVersion(null), '1.0.0');
  });

  it('says what updates a layer has, within its constraint or major, and the newest', () => {
    assert.deepEqual(
      updateBadges(
        layerView({
          version: null,
          versionConstraint: '~1.2',
          resolvedVersion: '1.2.0',
          updates: { withinConstraint: '1.2.9', latest: '2.0.0' },
        }),
      ),
      ['update 1.2.9 within ~1.2', 'newest 2.0.0'],
    );
    assert.deepEqual(updateBadges(layerView({ updates: { withinConstraint: '1.2.9', latest: '1.2.9' } })), [
      'update 1.2.9 within 1.x',
    ]);
    assert.deepEqual(updateBadges(layerView()), []);
  });

  it('lists layers in install order', () => {
    const view = versionView({
      layers: [layerView({ name: 'a' }), layerView({ name: 'b' })],
      installOrder: ['b', 'a'],
    });
    assert.deepEqual(
      inInstallOrder(view).map((l) => l.name),
      ['b', 'a'],
    );
  });

  it('offers no system registry that a tenant registry of the same name shadows', () => {
    const names = pickableRegistries([
      { name: 'stable', scope: 'system' as const },
      { name: 'mirror', scope: 'system' as const },
      { name: 'stable', scope: 'tenant' as const },
      { name: 'hosted', scope: 'tenant' as const },
    ]).map((r) => `${r.scope}:${r.name}`);
    assert.deepEqual(names, ['system:mirror', 'tenant:stable', 'tenant:hosted']);
  });
});
