import path from 'node:path';
import type { Storage } from '../storage/database.js';
import type { BlobStore } from './blob-store.js';
import { FsBlobStore } from './fs-blob-store.js';
import { PgBlobStore } from './pg-blob-store.js';

/**
 * The blob store that goes with the database: files under `<dataDir>/blobs` beside SQLite (one
 * server), the database itself on PostgreSQL (servers sharing one database share their blobs).
 */
export function openBlobStore(storage: Storage, dataDir: string): BlobStore {
  return storage.dialect === 'postgres'
    ? new PgBlobStore(storage.db)
    : new FsBlobStore(path.join(dataDir, 'blobs'));
}
