import { basename } from 'node:path';
import {
  ApiError,
  type AgentPlan,
  type AgentPlanLayer,
  type AgentRegistry,
  type ApiClient,
} from '../client/api-client.js';
import { DEFAULT_CHART_ARCHIVE_LIMITS } from '../protocol/helm/chart-archive.js';
import { isDigest, isRepositoryName, isTag } from '../protocol/oci/reference.js';
import { parseRegistryEndpoint, type ParsedEndpoint } from '../protocol/registry-endpoint.js';
import { AppError, UpstreamError } from '../shared/errors.js';
import {
  fetchClassicArchive,
  fetchClassicProvenance,
  fetchOciChart,
  NoChartArchiveError,
} from '../upstream/chart-archive-fetch.js';
import { lookupClassicArchive } from '../upstream/chart-index-lookup.js';
import { displayUrl } from '../upstream/http-client.js';
import type { UpstreamConnection } from '../upstream/upstream-connection.js';
import { createUpstreamPolicy, type UpstreamPolicy } from '../upstream/upstream-policy.js';
import type { ArchiveCache } from './archive-cache.js';
import { checkArchive } from './chart-verify.js';
import { checkProvenance, type Keyring, type ProvenanceCheck } from './provenance.js';

/**
 * One layer of a plan, pulled and verified (issue 14 item 3): from the cache when the plan pins a
 * digest the agent already holds (no network at all), else from Charthouse (`via: charthouse`, hosted
 * and synced registries) or straight from a protected registry (`via: registry`, classic or OCI, with
 * the plan's credentials and TLS, through the same upstream code as the server's sync). Every archive
 * is checked (chart-verify.ts) and its provenance too (provenance.ts) before it enters the cache.
 */

/** The agent's version, sent as its User-Agent. */
export const AGENT_VERSION = '0.1.0';

/** Why a layer failed, for the report and for deciding what to retry. */
export type LayerPullFailure =
  | 'invalid_plan'
  | 'unreachable'
  | 'unauthorized'
  | 'not_found'
  | 'digest_mismatch'
  | 'chart_mismatch'
  | 'invalid_archive'
  | 'provenance_failed';

/** The one error of pullLayer. `message` names the layer and says what to fix; it never holds a password. */
export class LayerPullError extends Error {
  override readonly name = 'LayerPullError';

  constructor(
    readonly layer: string,
    readonly failure: LayerPullFailure,
    /** The sentence without the layer's name: what the report's `reason` says. */
    readonly reason: string,
    /** What was being pulled, when known (never with credentials). */
    readonly reference?: string,
  ) {
    super(`Layer "${layer}": ${reason}`);
  }
}

export interface PullContext {
  api: ApiClient;
  cache: ArchiveCache;
  keyring: Keyring | null;
  /** Default: agentUpstreamPolicy(). */
  policy?: UpstreamPolicy;
}

export interface PulledLayer {
  /** The verified archive in the cache. */
  path: string;
  /** `sha256:<hex>` of the archive. */
  digest: string;
  /** Name and version read from the archive's Chart.yaml. */
  chart: { name: string; version: string };
  /**
   * What was pulled, never with credentials: the download path (via charthouse), the archive URL
   * without its query (classic), the plan's `oci://` reference (OCI); from the cache, the plan's
   * download path or reference.
   */
  reference: string;
  /** OCI only: the manifest digest the reference named when it was pulled. */
  manifestDigest?: string;
  provenance: { result: ProvenanceCheck['result']; signer?: string; reason?: string };
  /** True when no byte came over the network (the plan pinned a digest the cache held). */
  cached: boolean;
}

/**
 * The agent's upstream policy: private addresses are allowed, as the agent lives inside the private
 * network with the registries it pulls from; metadata addresses stay refused by the address policy.
 */
export function agentUpstreamPolicy(overrides: Partial<UpstreamPolicy> = {}): UpstreamPolicy {
  return createUpstreamPolicy({
    allowPrivateEndpoints: true,
    userAgent: `charthouse-agent/${AGENT_VERSION}`,
    ...overrides,
  });
}

interface Fetched {
  archive: Buffer;
  provenance: Buffer | null;
  reference: string;
  manifestDigest?: string;
  /** Names the .prov may list the archive under. */
  fileNames: string[];
  /** A digest the source itself lists (a classic index entry), checked when the plan pins none. */
  listedDigest: string | null;
}

export async function pullLayer(
  layer: AgentPlanLayer,
  plan: AgentPlan,
  ctx: PullContext,
): Promise<PulledLayer> {
  const standardName = `${layer.chart}-${layer.version}.tgz`;
  if (layer.digest !== null && (await ctx.cache.has(layer.digest))) {
    const cached = await fromCache(layer, ctx, standardName);
    if (cached !== null) return cached;
  }
  let fetched: Fetched;
  try {
    fetched =
      layer.pull.via === 'charthouse'
        ? await fromCharthouse(layer, layer.pull.path, ctx, standardName)
        : await fromRegistry(layer, plan, layer.pull.registry, layer.pull.reference, ctx, standardName);
  } catch (error) {
    throw asLayerError(layer, error);
  }
  const verified = await verify(layer, fetched, ctx);
  const digest = await ctx.cache.put(fetched.archive, fetched.provenance);
  return {
    path: ctx.cache.path(digest),
    digest,
    chart: verified.chart,
    reference: fetched.reference,
    ...(fetched.manifestDigest ? { manifestDigest: fetched.manifestDigest } : {}),
    provenance: verified.provenance,
    cached: false,
  };
}

/** The cached archive, checked again (bytes, Chart.yaml, provenance) so a tampered file is not used; null to pull afresh. */
async function fromCache(
  layer: AgentPlanLayer,
  ctx: PullContext,
  standardName: string,
): Promise<PulledLayer | null> {
  const digest = layer.digest!;
  const archive = await ctx.cache.read(digest);
  if (archive === null) return null;
  const reference = layer.pull.via === 'charthouse' ? layer.pull.path : layer.pull.reference;
  const fetched: Fetched = {
    archive,
    provenance: await ctx.cache.readProvenance(digest),
    reference,
    fileNames: [standardName],
    listedDigest: null,
  };
  const verified = await verify(layer, fetched, ctx).catch((error: unknown) => {
    // A file that no longer hashes to its name was changed on disk: pull it again.
    if (error instanceof LayerPullError && error.failure === 'digest_mismatch') return null;
    throw error;
  });
  if (verified === null) return null;
  return {
    path: ctx.cache.path(digest),
    digest: `sha256:${digest.replace(/^sha256:/, '')}`,
    chart: verified.chart,
    reference,
    provenance: verified.provenance,
    cached: true,
  };
}

async function verify(
  layer: AgentPlanLayer,
  fetched: Fetched,
  ctx: PullContext,
): Promise<{ chart: PulledLayer['chart']; provenance: PulledLayer['provenance'] }> {
  const fail = (failure: LayerPullFailure, reason: string): LayerPullError =>
    new LayerPullError(layer.name, failure, `${reason}.`, fetched.reference);
  // Where the plan pins no digest (a protected layer not verified yet), the index's own digest is the
  // only statement of which bytes the registry meant to serve: a mismatch there fails the layer too.
  const pinned = layer.digest ?? fetched.listedDigest;
  const checked = await checkArchive(fetched.archive, {
    chart: layer.chart,
    version: layer.version,
    digest: pinned,
    ...(layer.digest === null ? { digestSource: "the repository's index.yaml" } : {}),
  });
  if (!checked.ok) throw fail(checked.kind, checked.reason);
  const provenance = await checkProvenance(
    fetched.provenance,
    { digest: checked.digest, chart: layer.chart, version: layer.version, fileNames: fetched.fileNames },
    ctx.keyring,
  );
  // A provenance that fails fails the layer: a signature that does not hold, or a key the operator did
  // not trust, is exactly what --keyring is there to stop; reporting it and installing anyway would make
  // the keyring decorative. A chart without a .prov, or a .prov with no keyring to check it, is
  // reported (unsigned / unchecked) and pulled, as helm does without --verify.
  if (provenance.result === 'failed') throw fail('provenance_failed', provenance.reason);
  return {
    chart: checked.chart,
    provenance:
      provenance.result === 'verified'
        ? { result: 'verified', signer: provenance.signer }
        : provenance.result === 'unchecked'
          ? { result: 'unchecked', reason: provenance.reason }
          : { result: provenance.result },
  };
}

async function fromCharthouse(
  layer: AgentPlanLayer,
  path: string,
  ctx: PullContext,
  standardName: string,
): Promise<Fetched> {
  const archive = Buffer.from(await ctx.api.agent.download(path));
  let provenance: Buffer | null = null;
  if (layer.provenance !== null) {
    try {
      provenance = Buffer.from(await ctx.api.agent.download(layer.provenance));
    } catch (error) {
      // The plan may name a .prov that the registry no longer has: the chart is then unsigned.
      if (!(error instanceof ApiError && error.status === 404)) throw error;
    }
  }
  return { archive, provenance, reference: path, fileNames: [standardName], listedDigest: null };
}

async function fromRegistry(
  layer: AgentPlanLayer,
  plan: AgentPlan,
  name: string,
  reference: string,
  ctx: PullContext,
  standardName: string,
): Promise<Fetched> {
  const registry = plan.registries[name];
  if (registry === undefined) {
    throw new LayerPullError(
      layer.name,
      'invalid_plan',
      `the plan names registry "${name}" but does not describe it; the server's plan is incomplete.`,
    );
  }
  const connection = registryConnection(layer, registry);
  const policy = ctx.policy ?? agentUpstreamPolicy();
  const options = { policy, maxBytes: DEFAULT_CHART_ARCHIVE_LIMITS.maxCompressedBytes };
  if (connection.endpoint.kind === 'oci') {
    const { repository, ref } = ociTarget(layer, connection, reference);
    const pulled = await fetchOciChart(connection, repository, ref, { ...options, withProvenance: true });
    return {
      archive: pulled.archive,
      provenance: pulled.provenance,
      reference,
      manifestDigest: pulled.manifestDigest,
      fileNames: [standardName],
      listedDigest: null,
    };
  }
  const located = await lookupClassicArchive(connection, layer.chart, layer.version, { policy });
  const archive = await fetchClassicArchive(connection, located.url, options);
  const provenance = await fetchClassicProvenance(connection, located.url, policy);
  const downloaded = basename(located.url.pathname);
  return {
    archive,
    provenance,
    reference: displayUrl(located.url),
    fileNames: downloaded === standardName ? [standardName] : [standardName, downloaded],
    listedDigest: located.digest,
  };
}

/**
 * A plan registry as an UpstreamConnection, by the same endpoint rules as a registry row
 * (registries/registry.connection.ts): OCI is `oci://host/path` with `plainHttp` for a registry over
 * plain HTTP (Helm's --plain-http); an `http://host/path` endpoint is read as plain HTTP too.
 */
function registryConnection(layer: AgentPlanLayer, registry: AgentRegistry): UpstreamConnection {
  let endpoint: ParsedEndpoint;
  try {
    if (registry.kind === 'oci') {
      const plain = registry.plainHttp || /^http:\/\//i.test(registry.endpoint);
      const spelled = registry.endpoint.replace(/^https?:\/\//i, 'oci://');
      endpoint = parseRegistryEndpoint(spelled, { ociPlainHttp: plain });
    } else {
      endpoint = parseRegistryEndpoint(registry.endpoint);
    }
  } catch (error) {
    throw new LayerPullError(
      layer.name,
      'invalid_plan',
      `the plan's registry "${registry.name}" has an endpoint the agent cannot use: ${(error as Error).message}`,
    );
  }
  return {
    endpoint,
    ...(registry.username !== null && registry.password !== null
      ? { credentials: { username: registry.username, password: registry.password } }
      : {}),
    passCredentials: registry.passCredentials,
    tls: {
      ...(registry.caCert ? { caCert: registry.caCert } : {}),
      insecureSkipVerify: registry.insecureSkipVerify,
    },
    ociRepositories: [],
  };
}

/**
 * `oci://host[:port]/repo/chart:tag` or `…@sha256:<hex>` → repository and tag or digest. The host must
 * be the registry's own: a reference elsewhere would carry the registry's credentials to another host.
 */
function ociTarget(
  layer: AgentPlanLayer,
  connection: UpstreamConnection,
  reference: string,
): { repository: string; ref: string } {
  const bad = (why: string): LayerPullError =>
    new LayerPullError(
      layer.name,
      'invalid_plan',
      `the OCI reference ${JSON.stringify(reference)} ${why}.`,
      reference,
    );
  const prefix = `oci://${connection.endpoint.baseUrl.host}/`;
  if (!reference.startsWith(prefix))
    throw bad(`is not on the registry's host ${connection.endpoint.baseUrl.host}`);
  const rest = reference.slice(prefix.length);
  const at = rest.indexOf('@');
  let repository: string;
  let ref: string;
  if (at !== -1) {
    repository = rest.slice(0, at);
    ref = rest.slice(at + 1);
    if (!isDigest(ref)) throw bad('pins something other than a sha256 digest');
  } else {
    const colon = rest.lastIndexOf(':');
    if (colon === -1 || colon < rest.lastIndexOf('/')) throw bad('names no tag');
    repository = rest.slice(0, colon);
    ref = rest.slice(colon + 1);
    if (!isTag(ref)) throw bad('has a tag that is not a valid OCI tag');
  }
  if (!isRepositoryName(repository)) throw bad('has a repository name that is not valid');
  return { repository, ref };
}

/** Any failure of the fetch, as the layer's error: the upstream's own sentence, which names what to fix. */
function asLayerError(layer: AgentPlanLayer, error: unknown): LayerPullError {
  if (error instanceof LayerPullError) return error;
  const reference = layer.pull.via === 'charthouse' ? layer.pull.path : layer.pull.reference;
  const from = layer.pull.via === 'charthouse' ? 'from Charthouse' : `from registry "${layer.pull.registry}"`;
  const make = (failure: LayerPullFailure, message: string): LayerPullError =>
    new LayerPullError(
      layer.name,
      failure,
      `pulling ${layer.chart} ${layer.version} ${from} failed: ${message}`,
      reference,
    );
  if (error instanceof UpstreamError) {
    const failure: LayerPullFailure =
      error.failure === 'unauthorized' || error.failure === 'forbidden'
        ? 'unauthorized'
        : error.failure === 'not_found'
          ? 'not_found'
          : error.failure === 'too_large'
            ? 'invalid_archive'
            : 'unreachable';
    return make(failure, error.message);
  }
  if (error instanceof NoChartArchiveError) return make('not_found', error.message);
  if (error instanceof ApiError) {
    const failure: LayerPullFailure =
      error.status === 401 || error.status === 403
        ? 'unauthorized'
        : error.status === 404
          ? 'not_found'
          : 'unreachable';
    return make(failure, error.message);
  }
  if (error instanceof AppError) return make('unreachable', error.message);
  throw error;
}
