import { Readable } from 'node:stream';
import type { HostedService } from '../hosted/hosted.service.js';
import { NotFoundError } from '../shared/errors.js';
import type { PlannedLayer } from './agent-plan.js';
import type { AgentFile, AgentFileSource } from './agent.service.js';

/** A synced registry's archive or `.prov`, fetched with the registry's own connection and checked against the lock. */
export type SyncedFetch = (layer: PlannedLayer, kind: 'chart' | 'provenance') => Promise<Buffer | null>;

/**
 * The files an agent pulls through Charthouse (SPEC §2: hosted and synced registries): a hosted
 * registry's from the blob store; a synced registry's fetched from its registry by the server with the
 * registry's credentials, which never leave the server, and checked against the digest the version's
 * lock pinned before a byte is sent.
 */
export function agentArchives(hosted: HostedService, synced: SyncedFetch): AgentFileSource {
  return async (layer, kind) => {
    const { locked } = layer;
    const what = `${locked.chart}-${locked.version}.tgz${kind === 'provenance' ? '.prov' : ''}`;
    if (locked.registryKind === 'hosted') {
      const file = await hosted.chartFileById(
        locked.registryId,
        locked.chart,
        locked.version,
        kind === 'provenance',
      );
      return { size: file.size, contentType: file.contentType, open: file.open };
    }
    const bytes = await synced(layer, kind);
    if (bytes === null) throw new NotFoundError('Chart file', what);
    const file: AgentFile = {
      size: bytes.length,
      contentType: kind === 'provenance' ? 'application/pgp-signature' : 'application/x-tar',
      open: () => Promise.resolve(Readable.from([bytes])),
    };
    return file;
  };
}
