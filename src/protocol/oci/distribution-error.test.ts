import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DistributionError, distributionErrorBody } from './distribution-error.js';

describe('DistributionError', () => {
  it('carries status, code and message, and is an Error', () => {
    const e = new DistributionError(404, 'MANIFEST_UNKNOWN', 'No manifest "1.0.0" in acme/x: push it first.');
    assert.ok(e instanceof Error);
    assert.equal(e.status, 404);
    assert.equal(e.code, 'MANIFEST_UNKNOWN');
    assert.equal(e.name, 'DistributionError');
  });

  it('writes the spec body, with detail only when there is one', () => {
    assert.deepEqual(distributionErrorBody(new DistributionError(400, 'DIGEST_INVALID', 'mismatch')), {
      errors: [{ code: 'DIGEST_INVALID', message: 'mismatch' }],
    });
    const detail = [{ Type: 'repository', Name: 'acme/x', Action: 'pull' }];
    const body = distributionErrorBody(
      new DistributionError(401, 'UNAUTHORIZED', 'authentication required', detail),
    );
    assert.equal(
      JSON.stringify(body),
      '{"errors":[{"code":"UNAUTHORIZED","message":"authentication required","detail":[{"Type":"repository","Name":"acme/x","Action":"pull"}]}]}',
    );
  });
});
