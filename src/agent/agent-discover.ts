import { readFile } from 'node:fs/promises';
import type { AgentReleaseIn, ApiClient } from '../client/api-client.js';
import { openKubeApi } from '../upstream/kube/kube-connection.js';
import { findReleasePayloads } from '../upstream/kube/release-scan.js';
import { AGENT_VERSION } from './layer-pull.js';

/** What the server asked for (the heartbeat's answer), or a discovery the agent starts itself (`run: null`). */
export interface DiscoveryRequest {
  run: string | null;
  namespaces: string[] | null;
}

/** Payload characters per post: posts stay a few MiB however many releases a cluster has. */
const POST_PAYLOAD_CHARS = 4 * 1024 * 1024;
/** Releases per post (the API's limit). */
const POST_RELEASES = 200;
/** One payload larger than the API takes is a warning here, not a refused post. */
const MAX_PAYLOAD_CHARS = 8 * 1024 * 1024;
/** Warnings one post may carry (the API's limit), the "N more" one included. */
const MAX_WARNINGS = 199;
/** The labels a Tiller release is read with (Helm 3 releases carry everything in their payload). */
const HELM2_LABELS = ['NAME', 'VERSION', 'STATUS', 'OWNER'];

/**
 * Brownfield discovery from inside the cluster's network (SPEC §2): the agent lists Helm's release
 * storage through its own kubeconfig, with the same reader as the server (src/upstream/kube), keeps
 * the newest revision of each release, and posts the payloads as Helm wrote them; the server decodes
 * and judges them with its own rules, so a compromised cluster cannot hand it anything the server's
 * own scan would not accept. A failure to read the cluster fails the run with the reason, so the
 * console says why instead of waiting for an answer that never comes.
 */
export async function discoverReleases(
  api: ApiClient,
  request: DiscoveryRequest,
  kubeconfigPath: string | null,
  log: (line: string) => void,
): Promise<void> {
  const fail = async (code: string, message: string): Promise<void> => {
    log(`discovery failed: ${message}`);
    await api.agent.releases({ run: request.run, releases: [], done: true, error: { code, message } });
  };
  if (kubeconfigPath === null) {
    return fail(
      'no_kubeconfig',
      'The agent was started without --kubeconfig, so it cannot read the cluster: restart it with --kubeconfig FILE (a user that may list secrets and configmaps).',
    );
  }
  let found;
  try {
    const kube = await openKubeApi(await readFile(kubeconfigPath, 'utf8'), {
      // Inside the tenant's network: private addresses are the point (metadata ones stay refused).
      policy: null,
      userAgent: `charthouse-agent/${AGENT_VERSION}`,
    });
    found = await findReleasePayloads(kube, {
      ...(request.namespaces === null ? {} : { namespaces: request.namespaces }),
      maxWarnings: MAX_WARNINGS,
    });
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    return fail(
      typeof code === 'string' ? code : 'discovery_failed',
      err instanceof Error ? err.message : String(err),
    );
  }

  let run = request.run;
  let batch: AgentReleaseIn[] = [];
  let chars = 0;
  let sent = 0;
  const post = async (done: boolean): Promise<void> => {
    const answer = await api.agent.releases({
      run,
      releases: batch,
      objects: found.objects,
      done,
      ...(done ? { warnings: found.warnings.result() } : {}),
    });
    run = answer.run;
    sent += answer.accepted;
    batch = [];
    chars = 0;
  };
  for (const p of found.payloads) {
    if (p.payload.length > MAX_PAYLOAD_CHARS) {
      found.warnings.add({
        code: 'release_too_large',
        message: `The release ${p.namespace}/${p.object} holds ${p.payload.length} characters, more than the ${MAX_PAYLOAD_CHARS} Charthouse reads: skipped.`,
        namespace: p.namespace,
        object: p.object,
      });
      continue;
    }
    if (batch.length > 0 && (batch.length >= POST_RELEASES || chars + p.payload.length > POST_PAYLOAD_CHARS))
      await post(false);
    batch.push({
      driver: p.driver,
      helm: p.helm,
      payload: p.payload,
      namespace: p.namespace,
      object: p.object,
      ...(p.helm === 2
        ? {
            labels: Object.fromEntries(
              HELM2_LABELS.filter((k) => k in p.labels).map((k) => [k, p.labels[k]!]),
            ),
          }
        : {}),
    });
    chars += p.payload.length;
  }
  await post(true);
  log(`discovery ${run ?? ''}: ${found.objects} release objects read, ${sent} releases sent`);
}
