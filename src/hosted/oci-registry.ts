import { Readable } from 'node:stream';
import type { BlobInfo, BlobStore, ByteRange } from '../blobs/blob-store.js';
import { BlobDigestMismatchError, BlobTooLargeError } from '../blobs/blob-store.js';
import { DistributionError } from '../protocol/oci/distribution-error.js';
import { readHelmManifest, sha256Digest, type ParsedManifest } from '../protocol/oci/helm-artifact.js';
import { DOCKER_MANIFEST_LIST_MEDIA_TYPE, OCI_INDEX_MEDIA_TYPE } from '../protocol/oci/media-types.js';
import { isDigest, isTag } from '../protocol/oci/reference.js';
import { AppError } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import type { Logger } from 'pino';
import type { HostedAccess, HostedTarget } from './hosted-access.js';
import type { ChartPublisher } from './chart-publisher.js';
import type { HostedRepository } from './hosted.repository.js';
import type { HostedManifestRow, OciRepository } from './oci.repository.js';

export interface OciLimits {
  /** One blob (a chart layer is at most the chart limit; other artifacts may be larger). */
  maxBlobBytes: number;
  maxManifestBytes: number;
}

export const DEFAULT_OCI_LIMITS: Readonly<OciLimits> = {
  maxBlobBytes: 64 * 1024 * 1024,
  maxManifestBytes: 4 * 1024 * 1024,
};

/** An upload untouched this long is abandoned; its parts are freed by {@link OciRegistry.sweepUploads}. */
const UPLOAD_EXPIRY_MS = 60 * 60 * 1000;

/**
 * The OCI distribution side of a hosted registry (spec v1.1): blobs held per tenant (a blob pushed to
 * one of a tenant's repositories can be mounted into another of the same tenant, never across tenants),
 * monolithic and chunked uploads, manifests stored byte for byte under their digest, tags. A Helm chart
 * manifest becomes a chart version (index.yaml, catalog) when it is tagged, through the same
 * publisher as ChartMuseum uploads; other manifests are stored but are not charts.
 */
export class OciRegistry {
  constructor(
    private readonly repo: HostedRepository,
    private readonly oci: OciRepository,
    private readonly blobs: BlobStore,
    private readonly publisher: ChartPublisher,
    /** A manifest written or deleted drops the registry's cached state, so this server sees it at once. */
    private readonly access: Pick<HostedAccess, 'forget'>,
    private readonly logger: Logger,
    readonly limits: Readonly<OciLimits> = DEFAULT_OCI_LIMITS,
  ) {}

  // Blobs ---------------------------------------------------------------------------------------

  async blobSize(target: HostedTarget, digest: string): Promise<number | null> {
    checkDigest(digest);
    return (await this.oci.blobSize(target.registry.id, digest)) ?? null;
  }

  /**
   * The bytes of a blob whose link `size` was just read with {@link blobSize} (a GET reads it for its
   * headers): the store is not asked for the size again, so on PostgreSQL a small blob's pull costs one
   * query more than its HEAD, not three.
   */
  async readBlob(digest: string, size: number, range?: ByteRange): Promise<Readable> {
    const stream = await this.blobs.get(digest, range, size);
    if (stream === null)
      throw new DistributionError(404, 'BLOB_UNKNOWN', `Blob ${digest} is not in this repository.`);
    return stream;
  }

  async deleteBlob(target: HostedTarget, digest: string): Promise<void> {
    checkDigest(digest);
    if (!(await this.oci.unlinkBlob(target.registry.id, digest))) {
      throw new DistributionError(404, 'BLOB_UNKNOWN', `Blob ${digest} is not in this repository.`);
    }
    await this.free([digest]);
  }

  /** Cross-repository mount: only from a repository of the same tenant, where the blob is already held. */
  async mount(target: HostedTarget, digest: string, from: string): Promise<boolean> {
    if (!isDigest(digest) || !from.startsWith(`${target.slug}/`)) return false;
    return (await this.oci.blobSize(target.registry.id, digest)) !== undefined;
  }

  // Uploads -------------------------------------------------------------------------------------

  async startUpload(target: HostedTarget, repository: string): Promise<string> {
    const now = new Date().toISOString();
    const id = newId();
    await this.oci.createUpload({
      id,
      registry_id: target.registry.id,
      repository,
      size: 0,
      created_at: now,
      updated_at: now,
    });
    return id;
  }

  /** A whole blob in one request (POST ?digest= or PUT without PATCHes): streamed to the store. */
  async putBlob(
    target: HostedTarget,
    digest: string,
    body: AsyncIterable<Uint8Array>,
    declaredLength: number | null,
  ): Promise<BlobInfo> {
    checkDigest(digest);
    this.checkLength(declaredLength);
    const info = await this.storeBlob(body, digest);
    await this.link(target, info);
    return info;
  }

  /** A PATCH: the chunk must start where the upload ends (else 416), and is kept as a part. */
  async appendChunk(
    target: HostedTarget,
    repository: string,
    uploadId: string,
    body: AsyncIterable<Uint8Array>,
    range: { start: number; end: number } | null,
    declaredLength: number | null,
  ): Promise<number> {
    const upload = await this.upload(target, repository, uploadId);
    const size = Number(upload.size);
    if (range !== null && range.start !== size) {
      throw new DistributionError(
        416,
        'BLOB_UPLOAD_INVALID',
        `This chunk starts at byte ${range.start}, but the upload holds ${size} bytes: send the chunk that starts at ${size}.`,
      );
    }
    this.checkLength(declaredLength === null ? null : size + declaredLength);
    const part = await this.storeBlob(body, undefined, this.limits.maxBlobBytes - size);
    if (range !== null && range.end - range.start + 1 !== part.size) {
      await this.free([part.digest]);
      throw new DistributionError(
        416,
        'BLOB_UPLOAD_INVALID',
        `Content-Range says ${range.end - range.start + 1} bytes, but ${part.size} arrived.`,
      );
    }
    if (part.size === 0) return size;
    const appended = await this.oci.appendPart(upload.id, size, part, new Date().toISOString());
    if (!appended) {
      await this.free([part.digest]);
      throw new DistributionError(
        416,
        'BLOB_UPLOAD_INVALID',
        'Another chunk was written at this offset first.',
      );
    }
    return size + part.size;
  }

  /** The closing PUT: the parts (and a last chunk) become one blob, checked against `digest`. */
  async finishUpload(
    target: HostedTarget,
    repository: string,
    uploadId: string,
    digest: string,
    body: AsyncIterable<Uint8Array>,
    declaredLength: number | null,
  ): Promise<BlobInfo> {
    checkDigest(digest);
    const upload = await this.upload(target, repository, uploadId);
    const parts = await this.oci.uploadParts(upload.id);
    let info: BlobInfo;
    if (parts.length === 0) {
      // Monolithic POST + PUT, what helm does: the body goes straight into the store.
      info = await this.putBlob(target, digest, body, declaredLength);
    } else {
      this.checkLength(declaredLength === null ? null : Number(upload.size) + declaredLength);
      info = await this.storeBlob(this.concat(parts, body), digest);
      await this.link(target, info);
    }
    await this.free(await this.oci.deleteUpload(upload.id));
    return info;
  }

  async uploadSize(target: HostedTarget, repository: string, uploadId: string): Promise<number> {
    return Number((await this.upload(target, repository, uploadId)).size);
  }

  async cancelUpload(target: HostedTarget, repository: string, uploadId: string): Promise<void> {
    const upload = await this.upload(target, repository, uploadId);
    await this.free(await this.oci.deleteUpload(upload.id));
  }

  /** Frees uploads abandoned by their clients (a crash, a cancelled push). */
  async sweepUploads(now = Date.now()): Promise<number> {
    const stale = await this.oci.staleUploads(new Date(now - UPLOAD_EXPIRY_MS).toISOString());
    for (const id of stale) await this.free(await this.oci.deleteUpload(id));
    return stale.length;
  }

  // Manifests and tags --------------------------------------------------------------------------

  async putManifest(
    target: HostedTarget,
    repository: string,
    reference: string,
    body: Buffer,
    contentType: string | undefined,
    baseUrl: string,
  ): Promise<string> {
    if (body.length > this.limits.maxManifestBytes) {
      throw new DistributionError(
        413,
        'SIZE_INVALID',
        `Manifests are limited to ${this.limits.maxManifestBytes} bytes.`,
      );
    }
    const byDigest = isDigest(reference);
    if (!byDigest && !isTag(reference)) {
      throw new DistributionError(
        400,
        'TAG_INVALID',
        `"${reference.slice(0, 130)}" is neither a tag nor a sha256 digest.`,
      );
    }
    const parsed = readHelmManifest(body, contentType);
    const digest = sha256Digest(body);
    if (byDigest && digest !== reference) {
      throw new DistributionError(
        400,
        'DIGEST_INVALID',
        `The manifest's digest is ${digest}, not ${reference} as the URL says.`,
      );
    }
    await this.checkBlobs(target, parsed);
    if (parsed.helm !== null) {
      const { helm } = parsed;
      const manifest = {
        repository,
        digest,
        mediaType: parsed.mediaType,
        bytes: body,
        chart: helm.chart,
        config: helm.config,
        provenance: helm.provenance ?? null,
      };
      try {
        if (!byDigest) {
          await this.publisher.publishManifest(baseUrl, target.slug, target.registry, {
            ...manifest,
            tag: reference,
          });
          this.access.forget(target.slug);
          return digest;
        }
        // Helm >= 3.18 pushes by digest, then tags: the chart is checked here already, so a push of
        // other content under an existing version is refused before anything is stored.
        await this.publisher.checkUntagged(target.slug, target.registry, manifest);
      } catch (err) {
        throw asManifestError(err);
      }
    }
    const saved = await this.oci.saveOciManifest(
      {
        registry_id: target.registry.id,
        repository,
        digest,
        media_type: parsed.mediaType,
        size: body.length,
        content: body,
        created_at: new Date().toISOString(),
      },
      byDigest ? null : reference,
    );
    if (saved === 'chart_version_tag') {
      // A tag naming a chart version may only move with that version (through the publisher).
      throw new DistributionError(
        409,
        'DENIED',
        `Tag ${reference} is a chart version and versions are immutable: push another tag, or delete the version as a tenant administrator first.`,
      );
    }
    this.access.forget(target.slug);
    return digest;
  }

  async manifest(target: HostedTarget, repository: string, reference: string): Promise<HostedManifestRow> {
    const row = isDigest(reference)
      ? await this.oci.manifest(target.registry.id, repository, reference)
      : isTag(reference)
        ? await this.oci.manifestByTag(target.registry.id, repository, reference)
        : undefined;
    if (row) return row;
    if (!isDigest(reference) && !isTag(reference)) {
      throw new DistributionError(
        400,
        'TAG_INVALID',
        `"${reference.slice(0, 130)}" is neither a tag nor a sha256 digest.`,
      );
    }
    if (!(await this.oci.repositoryExists(target.registry.id, repository))) {
      throw new DistributionError(404, 'NAME_UNKNOWN', `Repository ${repository} does not exist.`, {
        name: repository,
      });
    }
    throw new DistributionError(404, 'MANIFEST_UNKNOWN', `No manifest ${reference} in ${repository}.`, {
      Tag: reference,
    });
  }

  /** DELETE by digest removes the manifest and its tags; by tag, the tag. A chart version goes with either. */
  async deleteManifest(target: HostedTarget, repository: string, reference: string): Promise<void> {
    const row = await this.manifest(target, repository, reference);
    const chart = await this.repo.chartOfManifest(target.registry.id, row.digest);
    if (chart) {
      await this.publisher.deleteVersion(target.registry, target.slug, chart.chart_name, chart.version);
    }
    if (!chart || isDigest(reference)) {
      if (isDigest(reference)) await this.oci.removeManifest(target.registry.id, repository, row.digest);
      else await this.oci.removeTag(target.registry.id, repository, reference);
    }
    this.access.forget(target.slug);
  }

  /** The repository's tags in byte order, or null when it has no manifest at all. */
  async tags(target: HostedTarget, repository: string): Promise<string[] | null> {
    const tags = await this.oci.tags(target.registry.id, repository);
    if (tags.length === 0 && !(await this.oci.repositoryExists(target.registry.id, repository))) return null;
    return tags.sort(byteOrder);
  }

  async repositories(target: HostedTarget): Promise<string[]> {
    return (await this.oci.repositories(target.registry.id)).sort(byteOrder);
  }

  // ---------------------------------------------------------------------------------------------

  /**
   * Every blob a manifest names must be one the tenant holds, of the size the descriptor says: a
   * client reading the manifest trusts that size (oras refuses a blob whose length differs), and a
   * chart version's manifest must describe its blobs truly. An index names manifests, which need not
   * exist yet (clients push an index's children in any order), so it is not checked here.
   */
  private async checkBlobs(target: HostedTarget, parsed: ParsedManifest): Promise<void> {
    const isIndex =
      parsed.mediaType === OCI_INDEX_MEDIA_TYPE || parsed.mediaType === DOCKER_MANIFEST_LIST_MEDIA_TYPE;
    if (isIndex) return;
    const digests = [...new Set(parsed.references.map((d) => d.digest))];
    const held = await this.oci.blobSizes(target.registry.id, digests);
    const missing = digests.filter((d) => !held.has(d));
    if (missing.length > 0) {
      throw new DistributionError(
        400,
        'MANIFEST_BLOB_UNKNOWN',
        `Push these blobs before the manifest: ${missing.join(', ')}.`,
        { digests: missing },
      );
    }
    for (const ref of parsed.references) {
      const size = held.get(ref.digest);
      if (size !== ref.size) {
        throw new DistributionError(
          400,
          'MANIFEST_INVALID',
          `${ref.field} says ${ref.size} bytes but blob ${ref.digest} has ${size}: describe each blob with its real size.`,
          { field: ref.field, digest: ref.digest, size: ref.size, actual: size },
        );
      }
    }
  }

  private async upload(target: HostedTarget, repository: string, id: string) {
    const upload = /^[0-9a-f-]{36}$/.test(id)
      ? await this.oci.upload(target.registry.id, repository, id)
      : undefined;
    if (!upload) {
      throw new DistributionError(
        404,
        'BLOB_UPLOAD_UNKNOWN',
        `Upload ${id.slice(0, 40)} is unknown or finished: start a new one with POST.`,
      );
    }
    return upload;
  }

  /** The tenant now holds the blob: visible in all its repositories. */
  private async link(target: HostedTarget, info: BlobInfo): Promise<void> {
    await this.oci.linkBlobNow(target.registry.id, info.digest, info.size, new Date().toISOString());
  }

  private checkLength(length: number | null): void {
    if (length !== null && length > this.limits.maxBlobBytes) {
      throw new DistributionError(
        413,
        'SIZE_INVALID',
        `Blobs are limited to ${this.limits.maxBlobBytes} bytes.`,
      );
    }
  }

  private async storeBlob(
    body: AsyncIterable<Uint8Array>,
    digest?: string,
    maxBytes = this.limits.maxBlobBytes,
  ): Promise<BlobInfo> {
    try {
      return await this.blobs.put(body, {
        maxBytes: Math.max(0, maxBytes),
        ...(digest ? { expectedDigest: digest } : {}),
      });
    } catch (err) {
      if (err instanceof BlobTooLargeError) {
        throw new DistributionError(
          413,
          'SIZE_INVALID',
          `Blobs are limited to ${this.limits.maxBlobBytes} bytes.`,
        );
      }
      if (err instanceof BlobDigestMismatchError)
        throw new DistributionError(400, 'DIGEST_INVALID', err.message);
      throw err;
    }
  }

  private async *concat(
    parts: { digest: string }[],
    last: AsyncIterable<Uint8Array>,
  ): AsyncIterable<Uint8Array> {
    for (const part of parts) {
      const stream = await this.blobs.get(part.digest);
      if (stream === null)
        throw new DistributionError(
          404,
          'BLOB_UPLOAD_UNKNOWN',
          'A chunk of this upload is missing: start again.',
        );
      yield* stream as AsyncIterable<Uint8Array>;
    }
    yield* last;
  }

  /** Deletes blobs nothing references any more (a finished upload's parts, an unlinked blob). */
  private async free(digests: string[]): Promise<void> {
    for (const digest of new Set(digests)) {
      try {
        if (!(await this.oci.blobInUse(digest))) await this.blobs.delete(digest);
      } catch (err) {
        this.logger.warn({ err, digest }, 'could not free a blob; it stays until the next clean-up');
      }
    }
  }
}

const byteOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function checkDigest(digest: string): void {
  if (!isDigest(digest)) {
    throw new DistributionError(
      400,
      'DIGEST_INVALID',
      `"${digest.slice(0, 100)}" is not a sha256 digest ("sha256:" and 64 lowercase hex digits).`,
    );
  }
}

/** A chart that does not check out is an invalid manifest to an OCI client; a conflict is DENIED. */
function asManifestError(err: unknown): unknown {
  if (!(err instanceof AppError)) return err;
  if (err.status === 409) return new DistributionError(409, 'DENIED', err.message);
  if (err.status === 400) return new DistributionError(400, 'MANIFEST_INVALID', err.message);
  return err;
}

export const bytesOf = (buffer: Buffer): AsyncIterable<Uint8Array> => Readable.from([buffer]);
