import type { DiscoveredReleaseView, ReleaseList } from '../client/api-client.js';
import { CliError } from './output.js';

/** The API's largest page: a cluster's releases in as few requests as possible. */
export const RELEASE_PAGE_LIMIT = 500;
/** A new run may finish while we page: the pages of two runs must not be mixed, so we start again. */
const MAX_RESTARTS = 3;
/** A server that keeps handing out cursors would otherwise keep us paging for ever. */
const MAX_PAGES = 10_000;

/**
 * Every page of a cluster's releases (`page(undefined)` is the first), all from the one run the first
 * page names. Pages read after a newer run became current are thrown away and the reading restarts.
 */
export async function collectReleasePages(
  cluster: string,
  page: (cursor: string | undefined) => Promise<ReleaseList>,
): Promise<{ items: DiscoveredReleaseView[]; run: ReleaseList['run'] }> {
  for (let attempt = 0; ; attempt++) {
    const first = await page(undefined);
    const items = [...first.items];
    let cursor = first.nextCursor;
    let mixed = false;
    for (let pages = 1; cursor !== undefined; pages++) {
      if (pages >= MAX_PAGES) throw new CliError(`the releases of ${cluster} never ended: try again`);
      const next = await page(cursor);
      if (next.run?.id !== first.run?.id) {
        mixed = true;
        break;
      }
      items.push(...next.items);
      cursor = next.nextCursor;
    }
    if (!mixed) return { items, run: first.run };
    if (attempt >= MAX_RESTARTS)
      throw new CliError(`the releases of ${cluster} kept changing while they were read: try again`);
  }
}
