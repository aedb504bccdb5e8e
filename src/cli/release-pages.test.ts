import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DiscoveredReleaseView, DiscoveryRunView, ReleaseList } from '../client/api-client.js';
import { CliError } from './output.js';
import { collectReleasePages } from './release-pages.js';

const run = (id: string) => ({ id }) as DiscoveryRunView;
const release = (name: string) => ({ name }) as DiscoveredReleaseView;
const names = (r: { items: DiscoveredReleaseView[] }): string[] => r.items.map((i) => i.name);

/** A server whose pages are `pages[cursor]`; `cursors` records what was asked. */
function server(pages: Record<string, ReleaseList>, cursors: Array<string | undefined>) {
  return async (cursor: string | undefined): Promise<ReleaseList> => {
    cursors.push(cursor);
    const page = pages[cursor ?? ''];
    if (!page) throw new Error(`no page ${cursor}`);
    return page;
  };
}

describe('collectReleasePages', () => {
  it('follows every cursor and keeps the run of the first page', async () => {
    const cursors: Array<string | undefined> = [];
    const got = await collectReleasePages(
      'prod',
      server(
        {
          '': { items: [release('a'), release('b')], nextCursor: 'c1', run: run('r1') },
          c1: { items: [release('c')], nextCursor: 'c2', run: run('r1') },
          c2: { items: [release('d')], run: run('r1') },
        },
        cursors,
      ),
    );
    assert.deepEqual(names(got), ['a', 'b', 'c', 'd']);
    assert.equal(got.run?.id, 'r1');
    assert.deepEqual(cursors, [undefined, 'c1', 'c2']);
  });

  it('answers no run and no releases before any discovery', async () => {
    const got = await collectReleasePages('prod', server({ '': { items: [], run: null } }, []));
    assert.deepEqual(got, { items: [], run: null });
  });

  it('starts again when a newer run became current mid-way, never mixing two runs', async () => {
    let first = true;
    const cursors: Array<string | undefined> = [];
    const got = await collectReleasePages('prod', async (cursor) => {
      cursors.push(cursor);
      if (cursor === undefined) {
        const page = first
          ? { items: [release('old-a')], nextCursor: 'c1', run: run('r1') }
          : { items: [release('new-a')], nextCursor: 'c1', run: run('r2') };
        first = false;
        return page;
      }
      return { items: [release('new-b')], run: run('r2') };
    });
    assert.deepEqual(names(got), ['new-a', 'new-b']);
    assert.equal(got.run?.id, 'r2');
    assert.deepEqual(cursors, [undefined, 'c1', undefined, 'c1']);
  });

  it('gives up with a clear error when the run keeps changing', async () => {
    let n = 0;
    await assert.rejects(
      collectReleasePages('prod', async (cursor) =>
        cursor === undefined
          ? { items: [], nextCursor: 'c', run: run(`r${n++}`) }
          : { items: [], run: run(`r${n++}`) },
      ),
      (err: unknown) => err instanceof CliError && /kept changing/.test(err.message),
    );
  });
});
