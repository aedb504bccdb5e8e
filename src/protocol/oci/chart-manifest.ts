import {
  DOCKER_MANIFEST_LIST_MEDIA_TYPE,
  DOCKER_MANIFEST_MEDIA_TYPE,
  HELM_CHART_LAYER_MEDIA_TYPE,
  HELM_CONFIG_MEDIA_TYPE,
  HELM_PROVENANCE_LAYER_MEDIA_TYPE,
  LEGACY_CHART_LAYER_MEDIA_TYPE,
  OCI_ARTIFACT_MANIFEST_MEDIA_TYPE,
  OCI_INDEX_MEDIA_TYPE,
  OCI_MANIFEST_MEDIA_TYPE,
} from './media-types.js';

/*
 * Which manifests under a registry's tags are Helm charts (research/protocols.md b.4): only Helm >= 3.7
 * artifacts, an OCI image manifest whose config is `application/vnd.cncf.helm.config.v1+json` with a
 * `...chart.content.v1.tar+gzip` layer. Anything else (images, signatures, image indexes, Docker schema
 * 2, Helm < 3.7's `application/tar+gzip` layer) is skipped, with the reason in words for a warning. Used
 * by the OCI sync and by the catalog's chart files (which finds a synced version's chart layer).
 */

const CREATED_ANNOTATION = 'org.opencontainers.image.created';

const SHA256_DIGEST = /^sha256:[0-9a-f]{64}$/;

export type ManifestClass =
  | {
      kind: 'chart';
      configDigest: string;
      configSize: number;
      chartDigest: string;
      /** The `.prov` layer `helm push` adds for a signed chart; null when there is none (or its digest is not sha256). */
      provenanceDigest: string | null;
      created: string | null;
    }
  | { kind: 'skip'; reason: string };

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Whether a manifest is a Helm >= 3.7 chart, and where its config and chart layer are; otherwise why
 * not, in words for a warning. `contentType` is the registry's Content-Type (helm's manifests carry no
 * `mediaType` field, so it is the only statement of their type).
 */
export function classifyManifest(bytes: Buffer, contentType: string | null): ManifestClass {
  let manifest: unknown;
  try {
    manifest = JSON.parse(bytes.toString('utf8'));
  } catch {
    return { kind: 'skip', reason: 'its manifest is not JSON' };
  }
  if (!isRecord(manifest)) return { kind: 'skip', reason: 'its manifest is not a JSON object' };
  const declared = typeof manifest['mediaType'] === 'string' ? manifest['mediaType'] : null;
  const type = declared ?? contentType ?? OCI_MANIFEST_MEDIA_TYPE;
  if (type === OCI_INDEX_MEDIA_TYPE || type === DOCKER_MANIFEST_LIST_MEDIA_TYPE) {
    return { kind: 'skip', reason: 'it is an image index (a multi-platform image), not a Helm chart' };
  }
  if (type === DOCKER_MANIFEST_MEDIA_TYPE) {
    return { kind: 'skip', reason: 'it is a Docker image manifest, which helm cannot pull as a chart' };
  }
  if (type === OCI_ARTIFACT_MANIFEST_MEDIA_TYPE) {
    return { kind: 'skip', reason: 'it is an OCI artifact manifest, which helm cannot pull as a chart' };
  }
  // A registry may serve helm's field-less manifest as application/json; the body decides then.
  if (type !== OCI_MANIFEST_MEDIA_TYPE && declared === null && type !== 'application/json') {
    return { kind: 'skip', reason: `its manifest type ${JSON.stringify(type)} is not an OCI image manifest` };
  }
  if (declared !== null && declared !== OCI_MANIFEST_MEDIA_TYPE) {
    return {
      kind: 'skip',
      reason: `its manifest type ${JSON.stringify(declared)} is not an OCI image manifest`,
    };
  }
  if (manifest['schemaVersion'] !== 2)
    return { kind: 'skip', reason: 'its manifest is not schema version 2' };
  const config = manifest['config'];
  const configType = isRecord(config) ? config['mediaType'] : undefined;
  if (!isRecord(config) || configType !== HELM_CONFIG_MEDIA_TYPE) {
    const what = typeof configType === 'string' ? JSON.stringify(configType) : 'missing';
    return {
      kind: 'skip',
      reason: `its config type is ${what}, not a Helm chart's (a container image, signature or other artifact)`,
    };
  }
  const layers = Array.isArray(manifest['layers']) ? manifest['layers'].filter(isRecord) : [];
  // Select by media type: helm >= 3.18 sorts layers by digest, so the chart is not always first.
  const chart = layers.find((layer) => layer['mediaType'] === HELM_CHART_LAYER_MEDIA_TYPE);
  if (chart === undefined) {
    const legacy = layers.some((layer) => layer['mediaType'] === LEGACY_CHART_LAYER_MEDIA_TYPE);
    return {
      kind: 'skip',
      reason: legacy
        ? 'it was pushed by Helm before 3.7 (legacy application/tar+gzip layer); push it again with a current helm'
        : `it has no layer of type ${HELM_CHART_LAYER_MEDIA_TYPE}`,
    };
  }
  const configDigest = config['digest'];
  const configSize = config['size'];
  const chartDigest = chart['digest'];
  if (typeof configDigest !== 'string' || !SHA256_DIGEST.test(configDigest)) {
    return { kind: 'skip', reason: 'its config digest is not a sha256 digest' };
  }
  if (typeof chartDigest !== 'string' || !SHA256_DIGEST.test(chartDigest)) {
    return { kind: 'skip', reason: 'its chart layer digest is not a sha256 digest' };
  }
  if (typeof configSize !== 'number' || !Number.isInteger(configSize) || configSize < 0) {
    return { kind: 'skip', reason: 'its config size is not a number of bytes' };
  }
  const provenance = layers.find((layer) => layer['mediaType'] === HELM_PROVENANCE_LAYER_MEDIA_TYPE)?.[
    'digest'
  ];
  const annotations = manifest['annotations'];
  const created = isRecord(annotations) ? annotations[CREATED_ANNOTATION] : undefined;
  return {
    kind: 'chart',
    configDigest,
    configSize,
    chartDigest,
    provenanceDigest: typeof provenance === 'string' && SHA256_DIGEST.test(provenance) ? provenance : null,
    created: typeof created === 'string' && created !== '' ? created : null,
  };
}
