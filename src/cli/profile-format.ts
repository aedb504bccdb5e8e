import type {
  LayerView,
  ProfileDiff,
  ProfilePlan,
  ProfileVersionView,
  ProfileView,
} from '../client/api-client.js';
import { formatDate, formatTable } from './output.js';

/* How the profile commands print profiles, versions, diffs and plans for people (--json prints the API's). */

/** Control characters and line breaks from descriptions would break a table or a `Key: value` line. */
const oneLine = (s: string | null | undefined): string => (s ?? '').replace(/[\s\p{Cc}]+/gu, ' ').trim();

function pairs(list: Array<[string, string]>): string {
  const width = Math.max(...list.map(([k]) => k.length)) + 1;
  return list.map(([k, v]) => `${`${k}:`.padEnd(width)} ${v}`).join('\n') + '\n';
}

export function formatProfileTable(profiles: ProfileView[]): string {
  if (profiles.length === 0) return 'No cluster profiles.\n';
  return formatTable(
    ['NAME', 'LATEST', 'PUBLISHED', 'VERSIONS', 'UPDATED'],
    profiles.map((p) => [
      p.name,
      p.latestVersion ?? '-',
      p.latestPublished ?? '-',
      String(p.versions.length),
      formatDate(p.updatedAt),
    ]),
  );
}

export function formatProfileDetail(p: ProfileView): string {
  const head = pairs([
    ['Profile', p.name],
    ['Description', oneLine(p.description) || '-'],
    ['Latest', p.latestVersion ?? '-'],
    ['Published', p.latestPublished ?? '-'],
    ['Created', `${formatDate(p.createdAt)} by ${p.createdBy}`],
    ['Updated', formatDate(p.updatedAt)],
  ]);
  if (p.versions.length === 0) return `${head}\nNo versions.\n`;
  const table = formatTable(
    ['VERSION', 'STATUS', 'LAYERS', 'PUBLISHED', 'UPDATED', 'DESCRIPTION'],
    p.versions.map((v) => [
      v.version,
      v.status,
      String(v.layerCount),
      v.publishedAt ? `${formatDate(v.publishedAt)} by ${v.publishedBy ?? '?'}` : '-',
      formatDate(v.updatedAt),
      oneLine(v.description),
    ]),
  );
  return `${head}\n${table}`;
}

/** `1.2.9 within, 2.0.0 latest`: what the catalog offers beyond the layer's version. */
function updatesCell(l: LayerView): string {
  const parts: string[] = [];
  if (l.updates.withinConstraint) parts.push(`${l.updates.withinConstraint} within`);
  if (l.updates.latest && l.updates.latest !== l.updates.withinConstraint)
    parts.push(`${l.updates.latest} latest`);
  return parts.join(', ') || '-';
}

/** A version's layers in install order (dependsOn first, then as listed). */
export function orderedLayers(v: ProfileVersionView): LayerView[] {
  const byName = new Map(v.layers.map((l) => [l.name, l]));
  const ordered = v.installOrder.flatMap((n) => byName.get(n) ?? []);
  // Any layer the order does not name (it should name all) still shows, after the others.
  return [...ordered, ...v.layers.filter((l) => !v.installOrder.includes(l.name))];
}

export function formatVersionDetail(v: ProfileVersionView): string {
  const head = pairs([
    ['Profile', v.profile],
    ['Version', v.version],
    ['Status', v.status],
    ['Description', oneLine(v.description) || '-'],
    ['Created', `${formatDate(v.createdAt)} by ${v.createdBy}`],
    ['Published', v.publishedAt ? `${formatDate(v.publishedAt)} by ${v.publishedBy ?? '?'}` : '-'],
    ['Updates available', String(v.updatesAvailable)],
  ]);
  const layers =
    v.layers.length === 0
      ? 'No layers.\n'
      : formatTable(
          [
            'NAME',
            'REGISTRY',
            'CHART',
            'VERSION/CONSTRAINT',
            'RESOLVED',
            'RELEASE',
            'NAMESPACE',
            'VERIFICATION',
            'UPDATES',
          ],
          orderedLayers(v).map((l) => [
            l.name,
            l.registry,
            l.chart,
            l.version ?? l.versionConstraint ?? '-',
            l.resolvedVersion ?? '-',
            l.releaseName,
            l.namespace + (l.createNamespace ? ' (created)' : ''),
            l.verification +
              (l.upstream === 'gone' || l.upstream === 'changed' ? ` (${l.upstream} upstream)` : ''),
            updatesCell(l),
          ]),
        );
  const variables =
    v.variables.length === 0
      ? ''
      : '\n' +
        formatTable(
          ['VARIABLE', 'TYPE', 'REQUIRED', 'DEFAULT', 'DESCRIPTION'],
          v.variables.map((x) => [
            x.name,
            x.type,
            x.required ? 'yes' : 'no',
            x.sensitive
              ? x.hasDefault
                ? '(sensitive)'
                : '-'
              : x.default === undefined
                ? '-'
                : JSON.stringify(x.default),
            oneLine(x.description),
          ]),
        );
  return `${head}\n${layers}${variables}`;
}

/** Every layer's warnings, named by layer, for stderr. */
export function layerWarnings(v: ProfileVersionView): string[] {
  return orderedLayers(v).flatMap((l) => l.warnings.map((w) => `layer ${l.name}: ${w}`));
}

const value = (v: unknown): string => (v === undefined ? '(none)' : JSON.stringify(v));

export function formatDiff(d: ProfileDiff): string {
  const lines = [`${d.profile} ${d.from} → ${d.to}`];
  const { layers, variables } = d;
  for (const name of layers.added) lines.push(`+ layer ${name}`);
  for (const name of layers.removed) lines.push(`- layer ${name}`);
  for (const c of layers.changed) {
    lines.push(`~ layer ${c.name}`);
    for (const f of c.fields) lines.push(`    ${f.field}: ${value(f.from)} → ${value(f.to)}`);
    for (const v of c.values) {
      const change =
        v.kind === 'added'
          ? value(v.to)
          : v.kind === 'removed'
            ? value(v.from)
            : `${value(v.from)} → ${value(v.to)}`;
      lines.push(`    values ${v.path || '(root)'} ${v.kind}: ${change}`);
    }
  }
  if (layers.orderChanged) lines.push('~ install order changed');
  for (const name of variables.added) lines.push(`+ variable ${name}`);
  for (const name of variables.removed) lines.push(`- variable ${name}`);
  for (const name of variables.changed) lines.push(`~ variable ${name}`);
  if (lines.length === 1) lines.push('No differences.');
  return lines.join('\n') + '\n';
}

export function formatPlan(plan: ProfilePlan): string {
  const head = `${plan.profile} ${plan.version} (published ${formatDate(plan.publishedAt)})\n\n`;
  if (plan.layers.length === 0) return `${head}No layers.\n`;
  return (
    head +
    formatTable(
      ['NAME', 'CHART', 'VERSION', 'RELEASE', 'NAMESPACE', 'REFERENCE', 'DIGEST'],
      plan.layers.map((l) => [
        l.name,
        l.chart,
        l.version,
        l.releaseName,
        l.namespace,
        l.reference,
        l.digest ?? '-',
      ]),
    )
  );
}
