/**
 * Media types of OCI manifests and of Helm's chart artifacts (research/protocols.md b.2, b.6).
 * Media types are compared without parameters and case-insensitively (RFC 6838); see baseMediaType.
 */

export const OCI_MANIFEST_MEDIA_TYPE = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX_MEDIA_TYPE = 'application/vnd.oci.image.index.v1+json';
export const DOCKER_MANIFEST_MEDIA_TYPE = 'application/vnd.docker.distribution.manifest.v2+json';
export const DOCKER_MANIFEST_LIST_MEDIA_TYPE = 'application/vnd.docker.distribution.manifest.list.v2+json';
/** The short-lived OCI 1.1 release-candidate artifact manifest: accepted, but never a chart. */
export const OCI_ARTIFACT_MANIFEST_MEDIA_TYPE = 'application/vnd.oci.artifact.manifest.v1+json';

/** The config blob of a Helm chart: Chart.yaml's metadata as JSON. */
export const HELM_CONFIG_MEDIA_TYPE = 'application/vnd.cncf.helm.config.v1+json';
/** The chart layer: the .tgz exactly as packaged. */
export const HELM_CHART_LAYER_MEDIA_TYPE = 'application/vnd.cncf.helm.chart.content.v1.tar+gzip';
/** The provenance layer: the .prov file exactly as signed. */
export const HELM_PROVENANCE_LAYER_MEDIA_TYPE = 'application/vnd.cncf.helm.chart.provenance.v1.prov';
/** Helm 3.0–3.6 (`helm chart push`) chart layers. */
export const LEGACY_CHART_LAYER_MEDIA_TYPE = 'application/tar+gzip';

/** The manifest types a manifest PUT may carry as its Content-Type. */
export const MANIFEST_MEDIA_TYPES: ReadonlySet<string> = new Set([
  OCI_MANIFEST_MEDIA_TYPE,
  OCI_INDEX_MEDIA_TYPE,
  DOCKER_MANIFEST_MEDIA_TYPE,
  DOCKER_MANIFEST_LIST_MEDIA_TYPE,
  OCI_ARTIFACT_MANIFEST_MEDIA_TYPE,
]);

/** A Content-Type without its parameters, trimmed and lowercased; '' when absent. */
export function baseMediaType(contentType: string | undefined | null): string {
  return (contentType ?? '').split(';', 1)[0]!.trim().toLowerCase();
}
