import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AssignmentView, VariableView } from '../../src/client/api-client.js';
import {
  agentCommands,
  assignmentBody,
  assignmentFormFrom,
  clusterCreateBody,
  clusterErrors,
  deliveryText,
  emptyAssignment,
  emptyClusterForm,
  layerSummary,
  moveAssignment,
  publishedVersions,
  releaseText,
  shortDigest,
  withDeclaredVariables,
  withProfile,
  withVersion,
  type AssignmentForm,
} from '../../web/src/clusters/cluster-form-model.js';

/** The cluster forms' pure logic: form ⇄ POST/PATCH bodies, sensitive values, 422 details on controls. */

const declared: VariableView[] = [
  {
    name: 'replicas',
    type: 'number',
    description: 'How many',
    required: true,
    sensitive: false,
    default: 2,
    hasDefault: true,
  },
  { name: 'debug', type: 'boolean', description: null, required: false, sensitive: false, hasDefault: false },
  { name: 'token', type: 'string', description: null, required: false, sensitive: true, hasDefault: true },
];

const stored: AssignmentView = {
  profile: 'base',
  version: '1.0.0',
  variables: [
    { name: 'replicas', sensitive: false, value: 3, set: true },
    { name: 'debug', sensitive: false, set: false },
    { name: 'token', sensitive: true, set: true },
  ],
};

const edit = (a: AssignmentForm, name: string, patch: Partial<AssignmentForm['variables'][number]>) => ({
  ...a,
  variables: a.variables.map((v) => (v.name === name ? { ...v, ...patch } : v)),
});

describe('cluster form model', () => {
  it('sends a new assignment typed by its declaration, leaving out what was not given', () => {
    const a = withDeclaredVariables({ ...emptyAssignment(), profile: 'base', version: '1.0.0' }, declared);
    assert.equal(a.declaredFor, 'base@1.0.0');
    assert.deepEqual(assignmentBody(a), { profile: 'base', version: '1.0.0' });
    const filled = edit(edit(edit(a, 'replicas', { text: '4' }), 'debug', { text: 'true' }), 'token', {
      text: '007',
    });
    // A number and a boolean in their types; a sensitive string as typed, even when it looks like a number.
    assert.deepEqual(assignmentBody(filled).variables, { replicas: 4, debug: true, token: '007' });
    // Text a number cannot be goes as typed, for the server to name beside the control.
    assert.deepEqual(assignmentBody(edit(a, 'replicas', { text: 'many' })).variables, { replicas: 'many' });
  });

  it('keeps a stored secret unless it is replaced, and clears with null', () => {
    const a = withDeclaredVariables(assignmentFormFrom(stored), declared);
    const token = a.variables.find((v) => v.name === 'token')!;
    assert.equal(token.storedSecret, true);
    assert.equal(token.text, '');
    // Untouched: the number goes back in its type, the secret is left out (the server keeps it).
    assert.deepEqual(assignmentBody(a).variables, { replicas: 3 });
    assert.deepEqual(assignmentBody(edit(a, 'token', { secretAction: 'clear' })).variables, {
      replicas: 3,
      token: null,
    });
    assert.deepEqual(assignmentBody(edit(a, 'token', { secretAction: 'replace', text: 'new' })).variables, {
      replicas: 3,
      token: 'new',
    });
    // "Replace" with nothing typed replaces nothing.
    assert.deepEqual(assignmentBody(edit(a, 'token', { secretAction: 'replace' })).variables, {
      replicas: 3,
    });
    // A non-sensitive value emptied is cleared explicitly; one never set is simply left out.
    assert.deepEqual(assignmentBody(edit(a, 'replicas', { text: '' })).variables, { replicas: null });
  });

  it('follows the declaration: types and defaults arrive, values carry over by name, others drop', () => {
    const from = assignmentFormFrom({
      ...stored,
      variables: [...stored.variables, { name: 'gone', sensitive: false, value: 'x', set: true }],
    });
    assert.equal(from.declaredFor, null);
    assert.equal(from.variables.find((v) => v.name === 'replicas')!.type, 'number');
    const a = withDeclaredVariables(from, declared);
    assert.deepEqual(
      a.variables.map((v) => [v.name, v.type, v.text, v.defaultText]),
      [
        ['replicas', 'number', '3', '2'],
        ['debug', 'boolean', '', ''],
        ['token', 'string', '', ''],
      ],
    );
    // A variable that became sensitive in the new version starts empty: nothing typed as plain text
    // is sent as a secret, and no stored secret is assumed.
    const v2 = withDeclaredVariables(withVersion(a, '2.0.0'), [
      { ...declared[0]!, sensitive: true, default: undefined },
    ]);
    assert.equal(v2.declaredFor, 'base@2.0.0');
    assert.deepEqual(
      v2.variables.map((v) => [v.name, v.text, v.storedSecret]),
      [['replicas', '', false]],
    );
    // Another profile starts again.
    const other = withProfile(a, 'edge');
    assert.deepEqual([other.version, other.declaredFor, other.variables], ['', null, []]);
  });

  it('builds the POST body: the kubeconfig only in kubeconfig mode, names trimmed', () => {
    const form = { ...emptyClusterForm(), name: ' prod-eu ', kubeconfig: 'apiVersion: v1\n' };
    assert.deepEqual(clusterCreateBody(form), { name: 'prod-eu', mode: 'agent' });
    assert.deepEqual(clusterCreateBody({ ...form, mode: 'kubeconfig', description: ' EU ' }), {
      name: 'prod-eu',
      mode: 'kubeconfig',
      description: 'EU',
      kubeconfig: 'apiVersion: v1\n',
    });
    // Sealed is the server's default: only the other choice is sent.
    assert.equal(clusterCreateBody(form).releaseValues, undefined);
    assert.equal(clusterCreateBody({ ...form, releaseValues: 'omitted' }).releaseValues, 'omitted');
    const a = withDeclaredVariables({ ...emptyAssignment(), profile: 'base', version: '1.0.0' }, declared);
    assert.deepEqual(clusterCreateBody({ ...form, profiles: [a] }).profiles, [
      { profile: 'base', version: '1.0.0' },
    ]);
  });

  it('places 422 details beside their controls and lists them all', () => {
    const e = clusterErrors([
      { field: 'name', message: 'must match pattern' },
      { field: 'kubeconfig', message: 'kubeconfig: exec plugins are refused' },
      { field: 'profiles[1].version', message: 'version 9.9.9 of "base" is not published' },
      { field: 'profiles[0].variables.replicas', message: 'must be a number' },
      { field: 'profiles[0].variables["a.b"]', message: 'is required' },
      { field: 'profiles[2]', message: 'profile "base" is assigned twice' },
      { message: 'something else' },
    ]);
    assert.equal(e.fields.name, 'Must match pattern.');
    assert.equal(e.fields.kubeconfig, 'Exec plugins are refused.');
    assert.equal(e.profiles[1]?.version, 'Version 9.9.9 of "base" is not published.');
    assert.deepEqual(e.profiles[0]?.variables, { replicas: 'Must be a number.', 'a.b': 'Is required.' });
    assert.deepEqual(e.profiles[2]?.general, ['Profile "base" is assigned twice.']);
    assert.deepEqual(e.general, ['Something else.']);
    assert.equal(e.all.length, 7);
    assert.ok(e.all.includes('Profile 1, variable replicas: Must be a number.'), JSON.stringify(e.all));
  });

  it('summarizes layers, digests, releases and plan delivery in words', () => {
    const states = ['failed', 'installed', 'installed', 'pending', 'installed'] as const;
    assert.equal(layerSummary(states.map((state) => ({ state }))), '3 installed, 1 pending, 1 failed');
    assert.equal(layerSummary([]), 'no layers');
    const digest = `sha256:${'0123456789abcdef'.repeat(4)}`;
    assert.equal(shortDigest(digest), 'sha256:0123456789ab');
    assert.equal(shortDigest('md5:xyz'), 'md5:xyz');
    assert.equal(
      releaseText({ name: 'web', namespace: 'apps', revision: 3, status: 'deployed' }),
      'web in apps, revision 3 (deployed)',
    );
    assert.equal(releaseText(null), '—');
    assert.equal(
      deliveryText({ revision: 2, deliveredRevision: null, deliveredAt: null }),
      'Revision 2, not delivered yet',
    );
    assert.equal(
      deliveryText({ revision: 2, deliveredRevision: 2, deliveredAt: 'x' }),
      'Revision 2, delivered',
    );
    assert.equal(
      deliveryText({ revision: 3, deliveredRevision: 2, deliveredAt: 'x' }),
      'Revision 3; the agent has revision 2',
    );
  });

  it('offers published versions only, moves assignments, and keeps the token off the command line', () => {
    const versions = [
      { version: '2.0.0', status: 'draft' as const },
      { version: '1.1.0', status: 'published' as const },
      { version: '1.0.0', status: 'published' as const },
    ];
    assert.deepEqual(
      publishedVersions(versions).map((v) => v.version),
      ['1.1.0', '1.0.0'],
    );
    const [a, b] = [emptyAssignment(), emptyAssignment()];
    assert.deepEqual(moveAssignment([a, b], 1, -1), [b, a]);
    assert.deepEqual(moveAssignment([a, b], 1, 1), [a, b]);
    const commands = agentCommands('https://charthouse.example');
    assert.equal(
      commands.run,
      'charthouse agent --server https://charthouse.example --token-file agent-token',
    );
    assert.equal(commands.saveToken, '(umask 077 && cat > agent-token)');
  });
});
