import type { Migration } from 'kysely';
import * as initial from './2026-11-21T00-00-initial.js';
import * as catalog from './2026-11-21T01-00-catalog.js';
import * as ociSkippedTags from './2026-11-21T03-00-oci-skipped-tags.js';
import * as chartFiles from './2026-11-21T04-00-chart-files.js';
import * as dropChartNameIndex from './2026-11-21T05-00-drop-chart-name-index.js';
import * as blobs from './2026-11-21T06-00-blobs.js';
import * as hosted from './2026-11-21T07-00-hosted.js';
import * as invitations from './2026-12-05T00-00-invitations.js';
import * as jobs from './2026-12-05T01-00-jobs.js';
import * as chartIcons from './2026-12-06T00-00-chart-icons.js';
import * as profiles from './2026-12-07T00-00-profiles.js';
import * as clusters from './2026-12-08T00-00-clusters.js';
import * as discovery from './2026-12-09T00-00-discovery.js';
import * as indexCharts from './2026-12-10T00-00-index-charts.js';
import * as registryRowsSignal from './2026-12-10T01-00-registry-rows-signal.js';

/** Every migration, by name; names sort in the order they must run. Append, never edit. */
export const migrations: Record<string, Migration> = {
  '2026-11-21T00-00-initial': initial,
  '2026-11-21T01-00-catalog': catalog,
  '2026-11-21T03-00-oci-skipped-tags': ociSkippedTags,
  '2026-11-21T04-00-chart-files': chartFiles,
  '2026-11-21T05-00-drop-chart-name-index': dropChartNameIndex,
  '2026-11-21T06-00-blobs': blobs,
  '2026-11-21T07-00-hosted': hosted,
  '2026-12-05T00-00-invitations': invitations,
  '2026-12-05T01-00-jobs': jobs,
  '2026-12-06T00-00-chart-icons': chartIcons,
  '2026-12-07T00-00-profiles': profiles,
  '2026-12-08T00-00-clusters': clusters,
  '2026-12-09T00-00-discovery': discovery,
  '2026-12-10T00-00-index-charts': indexCharts,
  '2026-12-10T01-00-registry-rows-signal': registryRowsSignal,
};
