import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newId } from './ids.js';

describe('newId', () => {
  it('is a version 7 UUID with the RFC 9562 variant', () => {
    for (let i = 0; i < 100; i += 1) {
      assert.match(newId(), /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
  });

  it('carries the time: ids made later sort later', async () => {
    const first = newId();
    await new Promise((r) => setTimeout(r, 5));
    const second = newId();
    assert.ok(first < second, `${first} should sort before ${second}`);
    const ms = Number.parseInt(second.replace(/-/g, '').slice(0, 12), 16);
    assert.ok(Math.abs(ms - Date.now()) < 1000);
  });

  it('is unique', () => {
    const ids = new Set(Array.from({ length: 10_000 }, () => newId()));
    assert.equal(ids.size, 10_000);
  });
});
