import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { sql } from 'kysely';
import { StatementNames } from '../../src/storage/database.js';
import { freshStorages } from '../support/fresh-storage.js';

const { fresh, removeAll } = freshStorages('prepared');
after(removeAll);

describe('prepared statements', () => {
  it('a query repeated after another server changed its table answers with the new columns', async () => {
    const { storage, open } = await fresh({ migrate: false });
    await sql`create table widgets (id text primary key, name text)`.execute(storage.db);
    await sql`insert into widgets (id, name) values ('a', 'first')`.execute(storage.db);
    // One connection, so the repeat runs where the statement was prepared.
    const server = open(1);
    const read = () =>
      sql<Record<string, unknown>>`select * from widgets where id = ${'a'}`.execute(server.db);
    for (let i = 0; i < 3; i++) assert.deepEqual((await read()).rows, [{ id: 'a', name: 'first' }]);
    // Another server migrates: a column more under the prepared `select *`.
    await sql`alter table widgets add column size integer`.execute(storage.db);
    assert.deepEqual((await read()).rows, [{ id: 'a', name: 'first', size: null }]);
    assert.deepEqual((await read()).rows, [{ id: 'a', name: 'first', size: null }]);
  });

  it('names plain queries with few parameters, once per text, and nothing else', () => {
    const names = new StatementNames();
    const select = 'select * from "tenants" where "name" = $1';
    const first = names.nameOf(select, 1);
    assert.ok(first);
    assert.equal(names.nameOf(select, 1), first);
    assert.notEqual(names.nameOf('update "tenants" set "x" = $1', 1), first);
    assert.ok(names.nameOf('\n      with latest as (select 1) select * from latest', 0));
    assert.equal(names.nameOf('create table t (id text)', 0), undefined);
    assert.equal(names.nameOf('begin', 0), undefined);
    assert.equal(names.nameOf('insert into t values ($1), ($2)', 33), undefined);
  });

  it('stops naming new texts past its bound', () => {
    const names = new StatementNames();
    for (let i = 0; i < 500; i++) assert.ok(names.nameOf(`select ${i}`, 0));
    assert.equal(names.nameOf('select 500', 0), undefined);
    assert.ok(names.nameOf('select 499', 0));
  });
});
