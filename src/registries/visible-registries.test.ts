import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { registryRow } from '../../test/support/registry-rows.js';
import type { RegistryRepository, RegistryRow } from './registry.repository.js';
import { VisibleRegistries } from './visible-registries.js';

/** A repository that counts its reads and answers from `rows`, or fails while `failing`. */
function fakeRepository(rows: readonly ReturnType<typeof registryRow>[]) {
  const reads: string[] = [];
  const state = { failing: false };
  const repository = {
    inScope: async (scope: string) => {
      reads.push(scope);
      if (state.failing) throw new Error('database away');
      return rows.filter((r) => r.scope === scope).map((r) => ({ ...r }) as RegistryRow);
    },
  } as unknown as RegistryRepository;
  return { repository, reads, state };
}

describe('VisibleRegistries', () => {
  const rows = [
    registryRow({ name: 'shared' }),
    registryRow({ name: 'system-only' }),
    registryRow({ scope: 't1', name: 'shared' }),
    registryRow({ scope: 't1', name: 'own' }),
  ];

  it('reads a scope once per stamp, and again when the stamp moves', async () => {
    const { repository, reads } = fakeRepository(rows);
    let stamp = 1;
    const visible = new VisibleRegistries(repository, { stamp: () => stamp });
    await visible.inScope('t1');
    await visible.inScope('t1');
    assert.deepEqual(reads, ['t1']);
    stamp = 2;
    assert.equal((await visible.inScope('t1')).byName.get('own')?.name, 'own');
    assert.deepEqual(reads, ['t1', 't1']);
  });

  it('reads every time without a stamp, and keeps no failed read', async () => {
    const { repository, reads, state } = fakeRepository(rows);
    let stamp: number | null = null;
    const visible = new VisibleRegistries(repository, { stamp: () => stamp });
    await visible.inScope('system');
    await visible.inScope('system');
    assert.equal(reads.length, 2);
    stamp = 1;
    state.failing = true;
    await assert.rejects(visible.inScope('system'));
    state.failing = false;
    await visible.inScope('system');
    await visible.inScope('system');
    assert.equal(reads.length, 4);
  });

  it('keeps at most its bound of scopes, least recently used out', async () => {
    const { repository, reads } = fakeRepository(rows);
    const visible = new VisibleRegistries(repository, { stamp: () => 1 }, 2);
    await visible.inScope('a');
    await visible.inScope('b');
    await visible.inScope('a');
    await visible.inScope('c'); // b goes
    await visible.inScope('a');
    await visible.inScope('b');
    assert.deepEqual(reads, ['a', 'b', 'c', 'b']);
  });

  it("gives a tenant's catalog the system's registries but those its own shadow, rows frozen", async () => {
    const { repository } = fakeRepository(rows);
    const visible = new VisibleRegistries(repository, { stamp: () => 1 });
    const forTenant = await visible.forCatalog('t1');
    assert.deepEqual(forTenant.map((r) => `${r.scope}/${r.name}`).sort(), [
      'system/system-only',
      't1/own',
      't1/shared',
    ]);
    assert.deepEqual((await visible.forCatalog(null)).map((r) => r.name).sort(), ['shared', 'system-only']);
    assert.ok(Object.isFrozen(forTenant[0]));
  });
});
