import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AccessChanges, type AccessChange } from './access-changes.js';

describe('AccessChanges', () => {
  it('tells every subscriber of a change made here, and sends it to the other servers', async () => {
    const changes = new AccessChanges();
    const seen: AccessChange[] = [];
    changes.subscribe((c) => seen.push(c));
    const sent: string[] = [];
    changes.relay({ send: async (m) => void sent.push(m), onSendError: () => assert.fail('no error') });
    changes.publish({ kind: 'membership-changed', userId: 'u', tenantId: 't' });
    assert.deepEqual(seen, [{ kind: 'membership-changed', userId: 'u', tenantId: 't' }]);
    assert.equal(sent.length, 1);
  });

  it("delivers other servers' changes once, and ignores its own echo and malformed messages", () => {
    const here = new AccessChanges();
    const there = new AccessChanges();
    const seen: AccessChange[] = [];
    here.subscribe((c) => seen.push(c));
    const outbox: string[] = [];
    const receiveHere = here.relay({ send: async (m) => void outbox.push(m), onSendError: () => undefined });
    there.relay({ send: async (m) => void outbox.push(m), onSendError: () => undefined });
    there.publish({ kind: 'tokens-revoked', userId: 'u', tokenHashes: ['h'] });
    here.publish({ kind: 'everything' });
    seen.length = 0;
    for (const message of [...outbox, 'not json', '{"origin":"x","change":{"kind":"drop-tables"}}'])
      receiveHere(message);
    assert.deepEqual(seen, [{ kind: 'tokens-revoked', userId: 'u', tokenHashes: ['h'] }]);
  });

  it('reports a failed send without failing the change', async () => {
    const changes = new AccessChanges();
    const errors: unknown[] = [];
    changes.relay({
      send: async () => Promise.reject(new Error('database away')),
      onSendError: (e) => errors.push(e),
    });
    changes.publish({ kind: 'everything' });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(errors.length, 1);
  });
});
