import yaml from 'js-yaml';
import type { LayerIn } from '../profiles/profile.schema.js';
import type { SecretBox } from '../shared/secret-box.js';
import type { DiscoveredReleaseRow } from './discovered-release.repository.js';
import { valuesContext } from './discovery-recorder.js';
import type { RegistryMatch } from './discovery.schema.js';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** Namespaces every cluster has: a layer installing there need not create them. */
const STANDARD_NAMESPACES = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease']);

export interface FromClusterLayers {
  layers: LayerIn[];
  skipped: { release: string; namespace: string; reason: string }[];
}

/**
 * The layers of a profile made from a cluster's discovered releases (`POST .../profiles/from-cluster`):
 * one per Helm 3 release, in namespace/name order, pinned to the exact chart version running, from the
 * registry it matched (a content match first, the tenant's own registries before the system's: see
 * release-matching.ts), with the release name, its namespace and the values the user gave it (when
 * the cluster keeps them). A release whose chart is in no registry the tenant sees is left out, saying
 * to run "Sync discovered charts" first, which puts it in the hosted registry; a profile never names a
 * chart version the catalog does not have.
 */
export function layersFromReleases(
  clusterId: string,
  rows: readonly DiscoveredReleaseRow[],
  matches: ReadonlyMap<string, RegistryMatch[]>,
  secrets: SecretBox,
): FromClusterLayers {
  const layers: LayerIn[] = [];
  const skipped: FromClusterLayers['skipped'] = [];
  const skip = (row: DiscoveredReleaseRow, reason: string) =>
    skipped.push({ release: row.name, namespace: row.namespace, reason });
  const taken = new Set<string>();
  const clash = new Set(rows.map((r) => r.name).filter((name, i, all) => all.indexOf(name) !== i));
  for (const row of rows) {
    if (row.helm_major === 2) {
      skip(row, 'A Helm 2 (Tiller) release: migrate it to Helm 3 (helm 2to3) first.');
      continue;
    }
    if (!DNS_LABEL.test(row.name) || row.name.length > 53) {
      skip(row, 'Its release name is not a DNS label of at most 53 characters, which profile layers need.');
      continue;
    }
    const match = (matches.get(row.id) ?? [])[0];
    if (!match) {
      skip(row, 'Its chart is in no registry this tenant sees: run "Sync discovered charts" first.');
      continue;
    }
    let name = clash.has(row.name) ? `${row.namespace}-${row.name}` : row.name;
    if (name.length > 63 || !DNS_LABEL.test(name)) name = row.name;
    if (taken.has(name)) {
      skip(row, `Another release already gives the layer name "${name}".`);
      continue;
    }
    taken.add(name);
    const values =
      row.values_enc === null
        ? undefined
        : yaml.dump(
            JSON.parse(
              secrets.open(row.values_enc, valuesContext(clusterId, row.namespace, row.name)),
            ) as unknown,
            { sortKeys: true, lineWidth: -1, noRefs: true },
          );
    layers.push({
      name,
      registry: match.registry,
      chart: row.chart_name,
      version: row.chart_version,
      releaseName: row.name,
      namespace: row.namespace,
      ...(STANDARD_NAMESPACES.has(row.namespace) ? {} : { createNamespace: true }),
      ...(values === undefined ? {} : { values }),
    });
  }
  return { layers, skipped };
}
