import type { KubeObject } from './object-store.js';

/*
 * The meta.k8s.io/v1 Table kubectl asks for (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io,...`),
 * so `kubectl get` prints its usual columns. Each row carries the object's metadata
 * (PartialObjectMetadata), from which kubectl takes the NAMESPACE column of `-A`.
 */

interface Column {
  name: string;
  type: string;
  format?: string;
  value: (object: KubeObject) => string | number;
}

function age(object: KubeObject): string {
  const created = Date.parse(object.metadata.creationTimestamp ?? '');
  const seconds = Number.isNaN(created) ? 0 : Math.max(0, Math.floor((Date.now() - created) / 1000));
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 172800) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86400)}d`;
}

const keyCount = (field: string) => (o: KubeObject) =>
  Object.keys((o[field] as object | undefined) ?? {}).length;

const EXTRA_COLUMNS: Record<string, Column[]> = {
  Secret: [
    { name: 'Type', type: 'string', value: (o) => String(o['type'] ?? 'Opaque') },
    { name: 'Data', type: 'integer', value: keyCount('data') },
  ],
  ConfigMap: [
    { name: 'Data', type: 'integer', value: (o) => keyCount('data')(o) + keyCount('binaryData')(o) },
  ],
  Namespace: [
    {
      name: 'Status',
      type: 'string',
      value: (o) => String((o['status'] as { phase?: string } | undefined)?.phase ?? 'Active'),
    },
  ],
};

export function toTable(kind: string, items: KubeObject[], listMetadata: Record<string, unknown>): object {
  const columns: Column[] = [
    { name: 'Name', type: 'string', format: 'name', value: (o) => o.metadata.name ?? '' },
    ...(EXTRA_COLUMNS[kind] ?? []),
    { name: 'Age', type: 'string', value: age },
  ];
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMetadata,
    columnDefinitions: columns.map((c) => ({
      name: c.name,
      type: c.type,
      format: c.format ?? '',
      description: '',
      priority: 0,
    })),
    rows: items.map((o) => ({
      cells: columns.map((c) => c.value(o)),
      object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata },
    })),
  };
}
