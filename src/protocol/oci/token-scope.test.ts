import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatScope, parseScopes, scopeAllows } from './token-scope.js';

describe('parseScopes', () => {
  it('reads repository and registry scopes, several per value', () => {
    assert.deepEqual(parseScopes(['repository:acme/charts/x:pull,push registry:catalog:*']), [
      { type: 'repository', name: 'acme/charts/x', actions: ['pull', 'push'] },
      { type: 'registry', name: 'catalog', actions: ['*'] },
    ]);
  });
  it('keeps a host:port in the name: the type ends at the first ":", the actions start after the last', () => {
    assert.deepEqual(parseScopes(['repository:reg.example.com:5000/acme/x:pull']), [
      { type: 'repository', name: 'reg.example.com:5000/acme/x', actions: ['pull'] },
    ]);
  });
  it('merges scopes on the same resource and drops repeated actions', () => {
    assert.deepEqual(parseScopes(['repository:a:pull', 'repository:a:push,pull', 'repository:b:pull,pull']), [
      { type: 'repository', name: 'a', actions: ['pull', 'push'] },
      { type: 'repository', name: 'b', actions: ['pull'] },
    ]);
  });
  it('skips malformed scopes, as distribution does', () => {
    assert.deepEqual(
      parseScopes([
        '',
        '  ',
        'repository',
        'repository:a',
        ':a:pull',
        'repository::pull',
        'repository:a:',
        'Repo:a:pull',
      ]),
      [],
    );
    assert.deepEqual(parseScopes(['repository(plugin):a:pull']), [
      { type: 'repository(plugin)', name: 'a', actions: ['pull'] },
    ]);
  });
});

describe('formatScope', () => {
  it('writes type:name:actions and round-trips', () => {
    const text = 'repository:acme/x:pull,push';
    assert.equal(formatScope(parseScopes([text])[0]!), text);
  });
});

describe('scopeAllows', () => {
  const granted = parseScopes(['repository:acme/x:pull,push repository:acme/admin:* registry:catalog:*']);
  it('allows exactly the granted actions on exactly the named resource', () => {
    assert.ok(scopeAllows(granted, 'repository', 'acme/x', 'pull'));
    assert.ok(scopeAllows(granted, 'repository', 'acme/x', 'push'));
    assert.ok(!scopeAllows(granted, 'repository', 'acme/x', 'delete'));
    assert.ok(!scopeAllows(granted, 'repository', 'acme/y', 'pull'));
    assert.ok(!scopeAllows(granted, 'repository', 'acme', 'pull'), 'no prefix matching');
    assert.ok(!scopeAllows(granted, 'registry', 'acme/x', 'pull'), 'the type matters');
  });
  it('lets "*" stand for every action', () => {
    for (const action of ['pull', 'push', 'delete'])
      assert.ok(scopeAllows(granted, 'repository', 'acme/admin', action));
    assert.ok(scopeAllows(granted, 'registry', 'catalog', '*'));
  });
  it('allows nothing without scopes', () => {
    assert.ok(!scopeAllows([], 'repository', 'acme/x', 'pull'));
    assert.ok(!scopeAllows([], 'registry', 'catalog', '*'));
  });
});
