import { createHash } from 'node:crypto';
import type { ChartMetadata } from '../helm/chart-metadata.js';
import { DistributionError } from './distribution-error.js';
import { GoMap, GoStruct, goJson, type GoJsonValue } from './go-json.js';
import {
  baseMediaType,
  HELM_CHART_LAYER_MEDIA_TYPE,
  HELM_CONFIG_MEDIA_TYPE,
  HELM_PROVENANCE_LAYER_MEDIA_TYPE,
  MANIFEST_MEDIA_TYPES,
  OCI_ARTIFACT_MANIFEST_MEDIA_TYPE,
  OCI_INDEX_MEDIA_TYPE,
  OCI_MANIFEST_MEDIA_TYPE,
  DOCKER_MANIFEST_LIST_MEDIA_TYPE,
} from './media-types.js';
import { isDigest } from './reference.js';

/*
 * Helm charts as OCI artifacts (research/protocols.md b.2, b.3): the config blob and manifest helm
 * pushes, written byte for byte as Helm >= 3.18 writes them, and the checks of a manifest PUT.
 *
 * Decisions:
 * - The manifest we write leaves out `org.opencontainers.image.created`, so one chart always gives one
 *   manifest digest (Helm puts the push time there; it is informational).
 * - A PUT manifest is kept byte for byte; readHelmManifest only reads what the registry must check
 *   and index. Only an OCI image manifest can be a chart (helm pulls nothing else).
 * - Two manifests of one chart version are the same content when they are equal as JSON once
 *   `created` is left out (sameManifestContent): Helm >= 3.15 writes the archive file's mtime there,
 *   so the same .tgz copied elsewhere gives another manifest, and the manifest a ChartMuseum upload
 *   derives has none. Every other difference (annotations, config, layers, sizes) is other content.
 */

export interface Descriptor {
  /** `sha256:<64 lowercase hex>`. */
  digest: string;
  size: number;
}

/** A descriptor of a manifest PUT, with where it sits (`config`, `layers[1]`), for error messages. */
export interface ManifestReference extends Descriptor {
  field: string;
}

const TITLE = 'org.opencontainers.image.title';
/** The push time (Helm 3.13, 3.14) or the archive's mtime (Helm >= 3.15): informational. */
export const CREATED_ANNOTATION = 'org.opencontainers.image.created';
const VERSION = 'org.opencontainers.image.version';

export function sha256Digest(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

const nonEmpty = <T>(list: T[] | undefined): T[] | undefined =>
  list === undefined || list.length === 0 ? undefined : list;
const text = (value: string | undefined): string | undefined => (value === '' ? undefined : value);

/** Go's `json.Marshal(chart.Metadata)`: the config blob helm pushes. */
export function helmConfigBytes(meta: ChartMetadata): Buffer {
  const maintainers = nonEmpty(meta.maintainers)?.map(
    (m) =>
      new GoStruct([
        ['name', text(m.name)],
        ['email', text(m.email)],
        ['url', text(m.url)],
      ]),
  );
  const dependencies = nonEmpty(meta.dependencies)?.map(
    (d) =>
      new GoStruct([
        ['name', d.name],
        ['version', text(d.version)],
        ['repository', d.repository],
        ['condition', text(d.condition)],
        ['tags', nonEmpty(d.tags)],
        ['enabled', d.enabled === true ? true : undefined],
        [
          'import-values',
          nonEmpty(d['import-values'])?.map((v): GoJsonValue => (typeof v === 'string' ? v : new GoMap(v))),
        ],
        ['alias', text(d.alias)],
      ]),
  );
  const annotations = meta.annotations;
  const config = new GoStruct([
    ['name', text(meta.name)],
    ['home', text(meta.home)],
    ['sources', nonEmpty(meta.sources)],
    ['version', text(meta.version)],
    ['description', text(meta.description)],
    ['keywords', nonEmpty(meta.keywords)],
    ['maintainers', maintainers],
    ['icon', text(meta.icon)],
    ['apiVersion', text(meta.apiVersion)],
    ['condition', text(meta.condition)],
    ['tags', text(meta.tags)],
    ['appVersion', text(meta.appVersion)],
    ['deprecated', meta.deprecated === true ? true : undefined],
    [
      'annotations',
      annotations === undefined || Object.keys(annotations).length === 0 ? undefined : new GoMap(annotations),
    ],
    ['kubeVersion', text(meta.kubeVersion)],
    ['dependencies', dependencies],
    ['type', text(meta.type)],
  ]);
  return Buffer.from(goJson(config), 'utf8');
}

/**
 * Helm's generateOCIAnnotations without `created`: description, title, version, url, source, authors
 * when not blank, then every Chart.yaml annotation except title and version (which it cannot override).
 */
export function helmManifestAnnotations(meta: ChartMetadata): Record<string, string> {
  const out: Record<string, string> = {};
  const add = (key: string, value: string | undefined): void => {
    if (value !== undefined && value.trim() !== '') out[key] = value;
  };
  add('org.opencontainers.image.description', meta.description);
  add(TITLE, meta.name);
  add(VERSION, meta.version);
  add('org.opencontainers.image.url', meta.home);
  add('org.opencontainers.image.source', meta.sources?.[0]);
  const maintainers = meta.maintainers ?? [];
  if (maintainers.length > 0) {
    add(
      'org.opencontainers.image.authors',
      maintainers.map((m) => `${m.name}${m.email ? ` (${m.email})` : ''}`).join(', '),
    );
  }
  for (const [key, value] of Object.entries(meta.annotations ?? {})) {
    if (key !== TITLE && key !== VERSION) out[key] = value;
  }
  return out;
}

const descriptor = (mediaType: string, d: Descriptor): GoStruct =>
  new GoStruct([
    ['mediaType', mediaType],
    ['digest', d.digest],
    ['size', d.size],
  ]);

/**
 * The manifest `helm push` (>= 3.18) writes for this chart, minus the `created` annotation: so the
 * same chart and provenance always give the same manifest digest.
 */
export function helmManifestBytes(input: {
  meta: ChartMetadata;
  config: Descriptor;
  chart: Descriptor;
  provenance?: Descriptor;
}): Buffer {
  const layers: [string, Descriptor][] = [[HELM_CHART_LAYER_MEDIA_TYPE, input.chart]];
  if (input.provenance !== undefined) layers.push([HELM_PROVENANCE_LAYER_MEDIA_TYPE, input.provenance]);
  // Helm sorts layers by digest (plain hex, so string order is byte order).
  layers.sort(([, a], [, b]) => (a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0));
  const annotations = helmManifestAnnotations(input.meta);
  const manifest = new GoStruct([
    ['schemaVersion', 2],
    ['config', descriptor(HELM_CONFIG_MEDIA_TYPE, input.config)],
    ['layers', layers.map(([type, d]) => descriptor(type, d))],
    ['annotations', Object.keys(annotations).length === 0 ? undefined : new GoMap(annotations)],
  ]);
  return Buffer.from(goJson(manifest), 'utf8');
}

export interface HelmLayers {
  config: Descriptor;
  chart: Descriptor;
  provenance?: Descriptor;
}

export interface ParsedManifest {
  /** The manifest's media type (Content-Type without parameters): what GET must answer with. */
  mediaType: string;
  /** Blobs (config and layers) or, for an index, the manifests it lists. */
  references: ManifestReference[];
  /** The `subject` digest (OCI 1.1 referrers), if any. */
  subject?: string;
  /** Set for a Helm chart: an OCI image manifest with Helm's config and one chart layer. */
  helm: HelmLayers | null;
}

function invalid(message: string, detail?: unknown): DistributionError {
  return new DistributionError(400, 'MANIFEST_INVALID', message, detail);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

interface TypedDescriptor extends Descriptor {
  mediaType: string;
}

function readDescriptor(value: unknown, where: string): TypedDescriptor {
  if (!isRecord(value)) throw invalid(`The manifest's ${where} is not a descriptor object.`);
  const { mediaType, digest, size } = value;
  if (typeof mediaType !== 'string' || mediaType === '') {
    throw invalid(`The manifest's ${where} has no mediaType.`);
  }
  if (typeof digest !== 'string' || !isDigest(digest)) {
    throw invalid(
      `The manifest's ${where} digest ${JSON.stringify(digest)} is not a sha256 digest (sha256:<64 lowercase hex>).`,
    );
  }
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw invalid(`The manifest's ${where} size is not a whole number of bytes.`);
  }
  return { mediaType, digest, size };
}

function readDescriptorList(value: unknown, field: string, required: boolean): TypedDescriptor[] {
  if (value === undefined && !required) return [];
  if (!Array.isArray(value)) throw invalid(`The manifest's "${field}" must be a list of descriptors.`);
  return value.map((item, i) => readDescriptor(item, `${field}[${i}]`));
}

const plain = ({ digest, size }: Descriptor): Descriptor => ({ digest, size });
const at =
  (field: string) =>
  ({ digest, size }: Descriptor, i: number): ManifestReference => ({
    digest,
    size,
    field: `${field}[${i}]`,
  });

/**
 * Checks a manifest PUT (body and Content-Type) and reads what the registry needs from it. Throws
 * DistributionError 400 MANIFEST_INVALID saying what is wrong.
 */
export function readHelmManifest(bytes: Buffer, contentType: string | undefined): ParsedManifest {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw invalid('The manifest is not valid JSON.');
  }
  if (!isRecord(doc)) throw invalid('The manifest is not a JSON object.');
  if (doc['schemaVersion'] !== 2) {
    throw invalid(
      "The manifest's schemaVersion is not 2; only image manifests and indexes of schema 2 are accepted.",
    );
  }
  const declared = doc['mediaType'];
  if (declared !== undefined && typeof declared !== 'string')
    throw invalid("The manifest's mediaType is not text.");
  const header = baseMediaType(contentType);
  // Without a Content-Type, a manifest that names its own type is still unambiguous.
  const mediaType = header === '' && declared !== undefined ? baseMediaType(declared) : header;
  if (!MANIFEST_MEDIA_TYPES.has(mediaType)) {
    throw invalid(
      `The Content-Type ${JSON.stringify(mediaType)} is not a manifest type; send ` +
        `Content-Type: ${OCI_MANIFEST_MEDIA_TYPE} (or another of: ${[...MANIFEST_MEDIA_TYPES].join(', ')}).`,
    );
  }
  if (declared !== undefined && baseMediaType(declared) !== mediaType) {
    throw invalid(
      `The manifest's mediaType ${JSON.stringify(declared)} and the Content-Type ${JSON.stringify(mediaType)} ` +
        'disagree; send the manifest with Content-Type set to its mediaType.',
    );
  }

  let subject: string | undefined;
  if (doc['subject'] !== undefined) subject = readDescriptor(doc['subject'], 'subject').digest;
  const withSubject = (parsed: ParsedManifest): ParsedManifest =>
    subject === undefined ? parsed : { ...parsed, subject };

  if (mediaType === OCI_INDEX_MEDIA_TYPE || mediaType === DOCKER_MANIFEST_LIST_MEDIA_TYPE) {
    const manifests = readDescriptorList(doc['manifests'], 'manifests', true);
    return withSubject({ mediaType, references: manifests.map(at('manifests')), helm: null });
  }
  if (mediaType === OCI_ARTIFACT_MANIFEST_MEDIA_TYPE) {
    const blobs = readDescriptorList(doc['blobs'], 'blobs', false);
    return withSubject({ mediaType, references: blobs.map(at('blobs')), helm: null });
  }

  const config = readDescriptor(doc['config'], 'config');
  const layers = readDescriptorList(doc['layers'], 'layers', true);
  const references = [{ ...plain(config), field: 'config' }, ...layers.map(at('layers'))];
  let helm: HelmLayers | null = null;
  if (mediaType === OCI_MANIFEST_MEDIA_TYPE && config.mediaType === HELM_CONFIG_MEDIA_TYPE) {
    const charts = layers.filter((l) => l.mediaType === HELM_CHART_LAYER_MEDIA_TYPE);
    const provs = layers.filter((l) => l.mediaType === HELM_PROVENANCE_LAYER_MEDIA_TYPE);
    if (charts.length > 1 || provs.length > 1) {
      throw invalid(
        'The Helm chart manifest has more than one chart or provenance layer; push one chart per manifest.',
      );
    }
    if (charts[0] !== undefined) {
      helm = { config: plain(config), chart: plain(charts[0]) };
      if (provs[0] !== undefined) helm.provenance = plain(provs[0]);
    }
  }
  return withSubject({ mediaType, references, helm });
}

/**
 * Whether two manifests are the same content: equal as JSON values (key order and spacing aside) once
 * the `created` annotation is left out of both, an annotations object left empty counting as none.
 */
export function sameManifestContent(a: Buffer, b: Buffer): boolean {
  const left = withoutCreated(a);
  const right = withoutCreated(b);
  return left !== undefined && right !== undefined && canonicalJson(left) === canonicalJson(right);
}

function withoutCreated(bytes: Buffer): unknown {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
  if (!isRecord(doc) || !isRecord(doc['annotations'])) return doc;
  const { annotations, ...rest } = doc;
  const kept = Object.entries(annotations).filter(([key]) => key !== CREATED_ANNOTATION);
  return kept.length === 0 ? rest : { ...rest, annotations: Object.fromEntries(kept) };
}

/** JSON with object keys sorted at every level: one text per JSON value. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isRecord(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Why a Helm config blob does not belong to the chart inside the manifest, or null when it does: it
 * must be a JSON object naming the chart's name and version (helm writes Chart.yaml's metadata
 * there; registries such as Harbor show it, so a config that lies misleads every reader).
 */
export function helmConfigMismatch(config: Buffer, chart: { name: string; version: string }): string | null {
  let doc: unknown;
  try {
    doc = JSON.parse(config.toString('utf8'));
  } catch {
    return "The manifest's Helm config blob is not valid JSON: push the config helm writes for this chart (Chart.yaml's metadata as JSON).";
  }
  if (!isRecord(doc)) {
    return "The manifest's Helm config blob is not a JSON object: push the config helm writes for this chart (Chart.yaml's metadata as JSON).";
  }
  const { name, version } = doc;
  if (name === chart.name && version === chart.version) return null;
  const shown = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v.slice(0, 100)) : '(none)');
  return (
    `The manifest's config names chart ${shown(name)} version ${shown(version)}, but the chart inside is ` +
    `"${chart.name}" version "${chart.version}": push the config helm writes for this chart.`
  );
}
