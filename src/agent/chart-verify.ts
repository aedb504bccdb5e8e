import { createHash } from 'node:crypto';
import {
  DEFAULT_CHART_ARCHIVE_LIMITS,
  readChartFiles,
  type ChartArchiveLimits,
} from '../protocol/helm/chart-archive.js';
import { parseChartYaml } from '../protocol/helm/chart-metadata.js';
import { AppError } from '../shared/errors.js';

/** What one layer expects of its archive. */
export interface ArchiveExpectation {
  chart: string;
  version: string;
  /** The plan's digest (`sha256:<hex>` or bare hex), or null when the plan pins none. */
  digest: string | null;
  /** Where the digest comes from when not from the plan, for the message ("the repository's index.yaml"). */
  digestSource?: string;
}

export type ArchiveCheck =
  | { ok: true; digest: string; chart: { name: string; version: string } }
  | { ok: false; kind: 'digest_mismatch' | 'chart_mismatch' | 'invalid_archive'; reason: string };

/**
 * Checks an archive before the agent trusts it, in this order: its sha256 against the plan's digest
 * where there is one (the cheapest check, and the one that says "someone changed the bytes"); then the
 * archive read with the same rules as an upload to the hosted registry (protocol/helm/chart-archive.ts:
 * gzip and size bombs, `..` and absolute paths, links and devices refused); then its Chart.yaml name
 * and version, which must equal the layer's exactly, as helm would otherwise install another chart
 * than the plan says. `digest` in the answer is `sha256:<hex>`.
 */
export async function checkArchive(
  archive: Buffer,
  expected: ArchiveExpectation,
  limits: Readonly<ChartArchiveLimits> = DEFAULT_CHART_ARCHIVE_LIMITS,
): Promise<ArchiveCheck> {
  const hex = createHash('sha256').update(archive).digest('hex');
  const pinned =
    expected.digest
      ?.trim()
      .toLowerCase()
      .replace(/^sha256:/, '') ?? null;
  if (pinned !== null && pinned !== hex) {
    return {
      ok: false,
      kind: 'digest_mismatch',
      reason:
        `the archive's sha256 is ${hex}, ${expected.digestSource ?? 'the plan'} pins ${pinned}: ` +
        (expected.digestSource === undefined
          ? 'the registry serves other bytes than the ones pinned for this profile version (checked when it was published, or by the first agent that verified it)'
          : 'the registry serves other bytes than it lists') +
        ', so the archive is not used',
    };
  }
  let name: string;
  let version: string;
  try {
    const files = await readChartFiles(archive, limits);
    ({ name, version } = parseChartYaml(files.chartYaml));
  } catch (error) {
    // readChartFiles and parseChartYaml say what is wrong in an AppError ("The chart archive was refused: ...").
    if (error instanceof AppError) {
      return { ok: false, kind: 'invalid_archive', reason: lowerFirst(error.message.replace(/\.$/, '')) };
    }
    throw error;
  }
  if (name !== expected.chart || version !== expected.version) {
    return {
      ok: false,
      kind: 'chart_mismatch',
      reason:
        `the archive's Chart.yaml is ${JSON.stringify(name)} version ${JSON.stringify(version)}, but the ` +
        `layer names ${JSON.stringify(expected.chart)} version ${JSON.stringify(expected.version)}`,
    };
  }
  return { ok: true, digest: `sha256:${hex}`, chart: { name, version } };
}

const lowerFirst = (text: string): string => text.charAt(0).toLowerCase() + text.slice(1);
