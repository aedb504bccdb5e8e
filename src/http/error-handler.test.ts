import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_FIELD_ERRORS, validationDetails, validationSummary, type AjvIssue } from './error-handler.js';

const issue = (instancePath: string, keyword: string, params: Record<string, unknown> = {}): AjvIssue => ({
  instancePath,
  keyword,
  params,
});

describe('validation errors (ajv with allErrors) as field details', () => {
  it('keeps one detail per field, the first rule broken, in the order ajv found them', () => {
    const details = validationDetails(
      [
        issue('', 'required', { missingProperty: 'endpoint' }),
        issue('/name', 'minLength', { limit: 1 }),
        issue('/name', 'pattern', { pattern: '^x$' }),
        // A union: one failure per branch, and the anyOf that wraps them.
        issue('/auth/type', 'const', { allowedValue: 'none' }),
        issue('/auth', 'required', { missingProperty: 'username' }),
        issue('/auth', 'anyOf'),
        issue('/ociRepositories/2', 'maxLength', { limit: 255 }),
      ],
      'body',
    );
    assert.deepEqual(details, [
      { field: 'endpoint', message: 'is required' },
      { field: 'name', message: 'must not be empty' },
      { field: 'auth.username', message: 'is required' },
      { field: 'ociRepositories[2]', message: 'must be at most 255 characters' },
    ]);
  });

  it('caps the list, so a hostile body cannot make a huge answer', () => {
    const many = Array.from({ length: 500 }, (_, i) => issue(`/items/${i}`, 'type'));
    assert.equal(validationDetails(many, 'body').length, MAX_FIELD_ERRORS);
  });

  it('says the first problem in the message and how many more there are', () => {
    assert.equal(
      validationSummary([{ field: 'name', message: 'is required' }], 'body'),
      'The request body is invalid: name: is required.',
    );
    assert.equal(
      validationSummary(
        [
          { field: 'name', message: 'is required' },
          { field: 'endpoint', message: 'is required' },
        ],
        'querystring',
      ),
      'The request querystring is invalid: name: is required (and 1 more: see details).',
    );
    assert.equal(validationSummary([], 'body'), 'The request body is invalid.');
  });
});
