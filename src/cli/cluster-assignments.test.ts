import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { VariableView } from '../client/api-client.js';
import { parseAssignmentArgs, typedAssignments, type ProfileRef } from './cluster-assignments.js';
import { UsageError } from './output.js';

const variable = (name: string, type: VariableView['type'], sensitive = false): VariableView => ({
  name,
  type,
  description: null,
  required: false,
  sensitive,
  hasDefault: false,
});

const DECLARED: Record<string, VariableView[]> = {
  'platform@1.0.0': [
    variable('replicas', 'number'),
    variable('debug', 'boolean'),
    variable('tier', 'string'),
    variable('password', 'string', true),
  ],
  'base@2.0.0': [],
};

describe('cluster assignments from the command line', () => {
  const fetched: string[] = [];
  const variablesOf = (ref: ProfileRef): Promise<VariableView[]> => {
    const key = `${ref.profile}@${ref.version}`;
    fetched.push(key);
    return Promise.resolve(DECLARED[key] ?? []);
  };

  it('reads each value by its declared type, and reads only versions that get a value', async () => {
    fetched.length = 0;
    const args = parseAssignmentArgs(
      ['base@2.0.0', 'platform@1.0.0'],
      ['platform.replicas=3', 'platform.debug=false', 'platform.tier=3', 'platform.password=a=b'],
    );
    assert.deepEqual(await typedAssignments(args, variablesOf), [
      { profile: 'base', version: '2.0.0' },
      {
        profile: 'platform',
        version: '1.0.0',
        variables: { replicas: 3, debug: false, tier: '3', password: 'a=b' },
      },
    ]);
    assert.deepEqual(fetched, ['platform@1.0.0']);
  });

  it('sends null for --unset', async () => {
    const args = parseAssignmentArgs(['platform@1.0.0'], [], ['platform.password']);
    assert.deepEqual(await typedAssignments(args, variablesOf), [
      { profile: 'platform', version: '1.0.0', variables: { password: null } },
    ]);
  });

  it('refuses values of the wrong type and variables the version does not declare', async () => {
    const typed = (set: string) =>
      typedAssignments(parseAssignmentArgs(['platform@1.0.0'], [set]), variablesOf);
    await assert.rejects(typed('platform.replicas=three'), {
      name: 'Error',
      message: '--set platform.replicas=three: replicas is a number variable of platform 1.0.0',
    });
    await assert.rejects(typed('platform.replicas=0x10'), UsageError);
    await assert.rejects(typed('platform.replicas='), UsageError);
    await assert.rejects(typed('platform.debug=yes'), /debug is a boolean variable .* \(true or false\)/);
    await assert.rejects(
      typed('platform.colour=red'),
      /^Error: platform 1\.0\.0 has no variable colour \(its variables: replicas, debug, tier, password\)$/,
    );
  });

  it('refuses malformed and inconsistent arguments before anything is fetched', () => {
    assert.throws(() => parseAssignmentArgs(['platform']), /--profile platform: expected NAME@VERSION/);
    assert.throws(() => parseAssignmentArgs(['platform@']), UsageError);
    assert.throws(() => parseAssignmentArgs(['p@1.0.0', 'p@2.0.0']), /given twice/);
    assert.throws(() => parseAssignmentArgs(['p@1.0.0'], ['q.x=1']), /profile q is not assigned/);
    assert.throws(() => parseAssignmentArgs(['p@1.0.0'], ['x=1']), /expected PROFILE\.VARIABLE=VALUE/);
    assert.throws(() => parseAssignmentArgs(['p@1.0.0'], ['p.x']), /expected PROFILE\.VARIABLE=VALUE/);
    assert.throws(() => parseAssignmentArgs(['p@1.0.0'], ['p.x=1', 'p.x=2']), /p\.x is given twice/);
    assert.throws(
      () => parseAssignmentArgs(['p@1.0.0'], [], ['p']),
      /--unset p: expected PROFILE\.VARIABLE$/,
    );
  });
});
