import { decodeHelm2Release } from '../../protocol/helm/release/helm2-release.js';
import {
  decodeHelm3Release,
  ReleaseDecodeError,
  type ReleaseLimits,
} from '../../protocol/helm/release/release-payload.js';
import type {
  DecodedRelease,
  DiscoveryWarning,
  ReleaseDriver,
} from '../../protocol/helm/release/release-record.js';
import type { KubeApi } from './kube-connection.js';
import { KubeForbiddenError } from './kube-errors.js';
import { listPages, type KubeListOptions } from './kube-list.js';

/*
 * Brownfield discovery's Kubernetes side (SPEC §2): every Helm release of a cluster, read from Helm's
 * own storage through the API, newest revision per release.
 *
 * Three lists, each across all namespaces (or per namespace when asked, or when the cluster-wide list
 * is forbidden: then the namespaces are listed and each one read, a 403 there being a warning):
 *   Helm 3/4 Secret driver   secrets     labelSelector owner=helm, fieldSelector type=helm.sh/release.v1
 *   Helm 3/4 ConfigMap driver configmaps labelSelector owner=helm
 *   Helm 2 Tiller            configmaps  labelSelector OWNER=TILLER
 * Memory is bounded by the number of releases, not of revisions: while listing, only the newest
 * revision's raw payload is kept per (namespace, release), chosen by the labels (name, version; the
 * object name `sh.helm.release.v1.<name>.v<rev>` / `<name>.v<rev>` when they are missing). The winners
 * are decoded at the end and handed over in batches. A release found by both Helm 3 drivers keeps its
 * newest revision (the Secret on a tie). One bad object (not a release, a payload that does not decode)
 * is a warning naming it; the rest goes on. Warnings are capped.
 */

export interface ScanOptions {
  /** Only these namespaces (default: all, cluster-wide lists). */
  namespaces?: string[];
  pageSize?: number;
  limits?: Partial<ReleaseLimits>;
  signal?: AbortSignal;
  /** Releases per onBatch call (default 100). */
  batchSize?: number;
  /** Warnings kept before one "N more" warning (default 200). */
  maxWarnings?: number;
  /** Paging, retries and bounds of each list (pageSize and signal above win). */
  list?: KubeListOptions;
}

export interface ScanResult {
  /** Storage objects read (Secrets and ConfigMaps), in the lists that completed. */
  objects: number;
  /** Releases handed to onBatch (Helm 2 included). */
  releases: number;
  helm2: number;
  warnings: DiscoveryWarning[];
}

interface Source {
  resource: 'secrets' | 'configmaps';
  query: Record<string, string>;
  kind: 'helm3' | 'helm2';
  driver: ReleaseDriver;
  /** What to grant when it is forbidden. */
  label: string;
}

const SOURCES: readonly Source[] = [
  {
    resource: 'secrets',
    query: { labelSelector: 'owner=helm', fieldSelector: 'type=helm.sh/release.v1' },
    kind: 'helm3',
    driver: 'secret',
    label: "Helm's release Secrets",
  },
  {
    resource: 'configmaps',
    query: { labelSelector: 'owner=helm' },
    kind: 'helm3',
    driver: 'configmap',
    label: "Helm's ConfigMap-driver releases",
  },
  {
    resource: 'configmaps',
    query: { labelSelector: 'OWNER=TILLER' },
    kind: 'helm2',
    driver: 'configmap',
    label: 'Helm 2 (Tiller) releases',
  },
];

const HELM3_OBJECT_NAME = /^sh\.helm\.release\.v1\.(.+)\.v(\d+)$/;
const HELM2_OBJECT_NAME = /^(.+)\.v(\d+)$/;

interface Candidate {
  kind: 'helm3' | 'helm2';
  driver: ReleaseDriver;
  namespace: string;
  object: string;
  revision: number;
  labels: Record<string, string>;
  /** data.release as the API gave it (a Secret's is base64 once more). */
  payload: string;
}

export class Warnings {
  readonly list: DiscoveryWarning[] = [];
  private dropped = 0;
  constructor(private readonly max: number) {}
  add(warning: DiscoveryWarning): void {
    if (this.list.length < this.max) this.list.push(warning);
    else this.dropped += 1;
  }
  addAll(warnings: DiscoveryWarning[]): void {
    for (const warning of warnings) this.add(warning);
  }
  result(): DiscoveryWarning[] {
    if (this.dropped === 0) return this.list;
    return [
      ...this.list,
      { code: 'warnings_truncated', message: `${this.dropped} more warnings were left out.` },
    ];
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function stringMap(value: unknown): Record<string, string> {
  if (!isObject(value)) return {};
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(value)) if (typeof v === 'string') out[key] = v;
  return out;
}

function positiveInteger(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d{1,9}$/.test(text)) return undefined;
  const n = Number(text);
  return n > 0 ? n : undefined;
}

/** The object as a candidate, or the warning saying why it is not a release. */
function candidateOf(item: Record<string, unknown>, source: Source): Candidate | DiscoveryWarning {
  const metadata = isObject(item['metadata']) ? item['metadata'] : {};
  const object = typeof metadata['name'] === 'string' ? metadata['name'] : '';
  const namespace = typeof metadata['namespace'] === 'string' ? metadata['namespace'] : '';
  const labels = stringMap(metadata['labels']);
  const data = stringMap(item['data']);
  const what = source.resource === 'secrets' ? 'Secret' : 'ConfigMap';
  const notRelease = (why: string): DiscoveryWarning => ({
    code: 'not_helm_release',
    message: `The ${what} ${namespace}/${object.slice(0, 253)} is labelled ${source.query['labelSelector']} but is not a Helm release: ${why}.`,
    namespace,
    object,
  });
  const fromName = (source.kind === 'helm3' ? HELM3_OBJECT_NAME : HELM2_OBJECT_NAME).exec(object);
  const name = (source.kind === 'helm3' ? labels['name'] : labels['NAME']) ?? fromName?.[1];
  const revision =
    positiveInteger(source.kind === 'helm3' ? labels['version'] : labels['VERSION']) ??
    positiveInteger(fromName?.[2]);
  if (name === undefined || revision === undefined) {
    return notRelease(
      source.kind === 'helm3'
        ? 'no name/version labels and its name is not sh.helm.release.v1.<release>.v<revision>'
        : 'no NAME/VERSION labels and its name is not <release>.v<revision>',
    );
  }
  const payload = data['release'];
  if (payload === undefined || payload === '') return notRelease('it has no data.release');
  return { kind: source.kind, driver: source.driver, namespace, object, revision, labels, payload };
}

/** Newest revision wins; on a tie the earlier source (the Secret driver). */
function keep(map: Map<string, Candidate>, key: string, candidate: Candidate): void {
  const current = map.get(key);
  if (!current || candidate.revision > current.revision) map.set(key, candidate);
}

const keyOf = (c: Candidate, name: string) => `${c.kind}\u0000${c.namespace}\u0000${name}`;

function releaseNameOf(c: Candidate): string {
  const fromLabel = c.kind === 'helm3' ? c.labels['name'] : c.labels['NAME'];
  return (
    fromLabel ?? (c.kind === 'helm3' ? HELM3_OBJECT_NAME : HELM2_OBJECT_NAME).exec(c.object)?.[1] ?? c.object
  );
}

interface ListOutcome {
  candidates: Map<string, Candidate>;
  objects: number;
  warnings: DiscoveryWarning[];
}

async function readList(
  api: KubeApi,
  path: string,
  source: Source,
  options: KubeListOptions,
): Promise<ListOutcome> {
  let outcome: ListOutcome = { candidates: new Map(), objects: 0, warnings: [] };
  for await (const page of listPages(api, path, source.query, options)) {
    if (page.restarted) outcome = { candidates: new Map(), objects: 0, warnings: [] };
    for (const item of page.items) {
      outcome.objects += 1;
      const found = candidateOf(item, source);
      if ('payload' in found) keep(outcome.candidates, keyOf(found, releaseNameOf(found)), found);
      else outcome.warnings.push(found);
    }
  }
  return outcome;
}

function forbiddenWarning(error: KubeForbiddenError, namespace: string): DiscoveryWarning {
  return { code: 'forbidden', message: error.message, namespace };
}

/** One release's newest storage object, as Helm wrote it: what the agent sends the server to decode. */
export interface ReleasePayload {
  helm: 2 | 3;
  driver: ReleaseDriver;
  namespace: string;
  /** The Secret or ConfigMap's name. */
  object: string;
  revision: number;
  labels: Record<string, string>;
  /** `data.release` after the object's own decoding (a Secret's data is base64 once more). */
  payload: string;
}

export interface FoundPayloads {
  /** Newest revision per release; consumed as it is iterated (each payload is let go once handed out). */
  payloads: Iterable<ReleasePayload>;
  objects: number;
  warnings: Warnings;
}

/**
 * Lists Helm's storage objects the kubeconfig's user may read and keeps, per release, the newest
 * revision's payload only (memory bounded by releases, not by Secrets). Fails (KubeApiError) only
 * when nothing can be listed at all, or the API server misbehaves (unreachable, 401, 5xx after
 * retries, endless paging); per-namespace refusals and non-release objects are warnings.
 */
export async function findReleasePayloads(api: KubeApi, options: ScanOptions): Promise<FoundPayloads> {
  const listOptions: KubeListOptions = {
    ...options.list,
    ...(options.pageSize !== undefined ? { pageSize: options.pageSize } : {}),
    ...(options.signal !== undefined ? { signal: options.signal } : {}),
  };
  const warnings = new Warnings(options.maxWarnings ?? 200);
  const winners = new Map<string, Candidate>();
  let objects = 0;
  let namespaces: string[] | undefined = options.namespaces;

  const take = (outcome: ListOutcome) => {
    objects += outcome.objects;
    warnings.addAll(outcome.warnings);
    for (const [key, candidate] of outcome.candidates) keep(winners, key, candidate);
  };
  const listNamespaces = async (source: Source, cause: KubeForbiddenError): Promise<string[]> => {
    const names: string[] = [];
    try {
      for await (const page of listPages(api, '/api/v1/namespaces', {}, listOptions)) {
        if (page.restarted) names.length = 0;
        for (const item of page.items) {
          const name = isObject(item['metadata']) ? item['metadata']['name'] : undefined;
          if (typeof name === 'string') names.push(name);
        }
      }
    } catch (error) {
      if (!(error instanceof KubeForbiddenError)) throw error;
      throw new KubeForbiddenError(
        `The kubeconfig's user may not list ${source.resource} across all namespaces, nor list namespaces to read them one by one: grant list on secrets and configmaps with a ClusterRole (or list on namespaces, plus list on secrets and configmaps in each namespace). ${cause.message}`,
        'list',
        source.resource,
        undefined,
      );
    }
    return names;
  };

  for (const source of SOURCES) {
    if (namespaces === undefined) {
      try {
        take(await readList(api, `/api/v1/${source.resource}`, source, listOptions));
        continue;
      } catch (error) {
        if (!(error instanceof KubeForbiddenError)) throw error;
        namespaces = await listNamespaces(source, error);
      }
    }
    for (const namespace of namespaces) {
      const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/${source.resource}`;
      try {
        take(await readList(api, path, source, listOptions));
      } catch (error) {
        if (!(error instanceof KubeForbiddenError)) throw error;
        warnings.add(forbiddenWarning(error, namespace));
      }
    }
  }

  function* drain(): Iterable<ReleasePayload> {
    for (const [key, c] of winners) {
      winners.delete(key);
      yield {
        helm: c.kind === 'helm2' ? 2 : 3,
        driver: c.driver,
        namespace: c.namespace,
        object: c.object,
        revision: c.revision,
        labels: c.labels,
        payload:
          c.driver === 'secret' && c.kind === 'helm3'
            ? Buffer.from(c.payload, 'base64').toString('latin1')
            : c.payload,
      };
    }
  }
  return { payloads: drain(), objects, warnings };
}

/** Decodes one found payload with the rules of its Helm version; throws ReleaseDecodeError. */
export function decodeReleasePayload(found: ReleasePayload, limits?: Partial<ReleaseLimits>): DecodedRelease {
  return found.helm === 2
    ? decodeHelm2Release(found.payload, found.labels, limits)
    : decodeHelm3Release(found.payload, found.driver, limits);
}

/**
 * Finds every Helm release the kubeconfig's user may read (findReleasePayloads) and hands them to
 * `onBatch` decoded, in batches; a payload that does not decode is a warning naming its object.
 */
export async function scanHelmReleases(
  api: KubeApi,
  options: ScanOptions,
  onBatch: (releases: DecodedRelease[]) => Promise<void>,
): Promise<ScanResult> {
  const { payloads, objects, warnings } = await findReleasePayloads(api, options);
  let releases = 0;
  let helm2 = 0;
  const batchSize = options.batchSize ?? 100;
  let batch: DecodedRelease[] = [];
  for (const found of payloads) {
    options.signal?.throwIfAborted();
    let decoded: DecodedRelease;
    try {
      decoded = decodeReleasePayload(found, options.limits);
    } catch (error) {
      if (!(error instanceof ReleaseDecodeError)) throw error;
      const what = found.driver === 'secret' ? 'Secret' : 'ConfigMap';
      warnings.add({
        code: error.code,
        message: `The ${what} ${found.namespace}/${found.object} (revision ${found.revision}) was skipped: ${error.message}`,
        namespace: found.namespace,
        object: found.object,
      });
      continue;
    }
    releases += 1;
    if (decoded.summary.helmMajor === 2) helm2 += 1;
    batch.push(decoded);
    if (batch.length >= batchSize) {
      await onBatch(batch);
      batch = [];
    }
  }
  if (batch.length > 0) await onBatch(batch);
  return { objects, releases, helm2, warnings: warnings.result() };
}
