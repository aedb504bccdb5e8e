import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { helmFailureReason, mask, oneLine } from './helm-reason.js';
import type { HelmRun } from './helm-runner.js';

function run(fields: Partial<HelmRun>): HelmRun {
  return { code: 1, signal: null, timedOut: false, stdout: '', stderr: '', ...fields };
}

describe('helm failure reasons', () => {
  it("takes helm's last Error: line, prefixed with what the agent was doing", () => {
    const stderr =
      'Release "x" does not exist. Installing it now.\nW1205 warning line\nError: INSTALLATION FAILED: namespaces "nope" not found\n';
    assert.equal(
      helmFailureReason('installing x', run({ stderr }), {}, 60_000),
      'installing x: INSTALLATION FAILED: namespaces "nope" not found',
    );
    assert.equal(
      helmFailureReason('installing x', run({ stderr: 'only a line\n' }), {}, 60_000),
      'installing x: only a line',
    );
    assert.equal(
      helmFailureReason('installing x', run({ code: 2 }), {}, 60_000),
      'installing x: helm exited with code 2 and printed no error',
    );
  });

  it('says when helm was ended, by the deadline or a signal, or could not start', () => {
    assert.equal(
      helmFailureReason(
        'installing x',
        run({ code: 1, timedOut: true, stderr: 'Error: context canceled\n' }),
        {},
        90_000,
      ),
      'installing x: helm did not finish within 90 s (context canceled)',
    );
    assert.equal(
      helmFailureReason('installing x', run({ code: null, signal: 'SIGKILL' }), {}, 1000),
      'installing x: helm was ended by SIGKILL',
    );
    assert.equal(
      helmFailureReason('installing x', run({ spawnError: 'helm was not found at /nope' }), {}, 1000),
      'installing x: helm was not found at /nope',
    );
  });

  it('masks every value string, whole or line by line, and keeps reasons on one bounded line', () => {
    const values = {
      auth: { password: 'hunter22', key: '-----BEGIN KEY-----\nMIIBsecretline\n-----END KEY-----' },
      n: 'on',
    };
    assert.equal(
      mask('bad password hunter22 near MIIBsecretline, mode on', values),
      'bad password *** near ***, mode on',
    );
    const stderr = 'Error: execution error at (c/templates/a.yaml:1:3): refusing hunter22\n';
    assert.equal(
      helmFailureReason('installing x', run({ stderr }), values, 1000),
      'installing x: execution error at (c/templates/a.yaml:1:3): refusing ***',
    );
    assert.equal(oneLine('a\n\tb\u0000c  d'), 'a b c d');
    assert.equal(oneLine('x'.repeat(5000)).length, 1000);
  });
});
