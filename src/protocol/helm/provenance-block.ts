import { parseChartYaml } from './chart-metadata.js';
import { loadHelmYaml, SafeYamlError } from './safe-yaml.js';

/**
 * The signed text of a Helm provenance file (`<chart>-<version>.tgz.prov`, pkg/provenance/sign.go):
 * the chart's Chart.yaml, a `...` line, then a YAML `files:` map of archive file name to
 * `sha256:<hex>`. The OpenPGP clearsigned envelope around it is checked elsewhere (this is pure); this
 * reads what the signature vouches for.
 */
export interface ProvenanceBlock {
  /** Name and version of the Chart.yaml that was signed. */
  chart: { name: string; version: string };
  /** File name → `sha256:<hex>` as written. */
  files: Map<string, string>;
}

export type ProvenanceBlockResult = { ok: true; block: ProvenanceBlock } | { ok: false; reason: string };

const MAX_DEPTH = 32;

class BlockProblem extends Error {}

/** Splits and reads a provenance message block as Helm's parseMessageBlock does; never throws. */
export function readProvenanceBlock(signedText: string): ProvenanceBlockResult {
  const text = signedText.replace(/\r\n/g, '\n');
  // Helm splits on the first "\n...\n": Chart.yaml before it, the sums after.
  const at = text.indexOf('\n...\n');
  if (at === -1) {
    return { ok: false, reason: 'the signed text has no "..." line between Chart.yaml and the file digests' };
  }
  try {
    const meta = parseChartYaml(text.slice(0, at + 1), (message) => new BlockProblem(message));
    const sums = loadHelmYaml(text.slice(at + '\n...\n'.length), MAX_DEPTH);
    const raw = isRecord(sums) ? sums['files'] : undefined;
    if (!isRecord(raw)) return { ok: false, reason: 'the signed text has no "files:" map of digests' };
    const files = new Map<string, string>();
    for (const [name, sum] of Object.entries(raw)) if (typeof sum === 'string') files.set(name, sum);
    return { ok: true, block: { chart: { name: meta.name, version: meta.version }, files } };
  } catch (error) {
    if (error instanceof BlockProblem)
      return { ok: false, reason: `the signed ${error.message.replace(/\.$/, '')}` };
    if (error instanceof SafeYamlError) return { ok: false, reason: 'its file digests are not valid YAML' };
    throw error;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
