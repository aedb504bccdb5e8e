import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { loadHelmYaml, SafeYamlError } from '../protocol/helm/safe-yaml.js';
import type { ErrorDetail } from '../shared/errors.js';
import { checkAddressAllowed, checkHostAllowed, type AddressPolicy } from '../upstream/address-policy.js';

/*
 * What a kubeconfig must be before Charthouse keeps it (SPEC §2: "sealed like passwords"; issue 14
 * item 1). The server will act on it later (discovery), so nothing in it may make the server run a
 * program or read its own files, and its API server is held to the registries' address policy:
 * - `exec` and `auth-provider` users run plugins on the server: refused. Credentials must be embedded
 *   (`token`, `client-certificate-data`/`client-key-data`, `username`/`password`).
 * - File references (`certificate-authority`, `client-certificate`, `client-key`, `tokenFile`) would
 *   read the server's own files: refused, naming the `-data` field to use instead.
 * - `proxy-url` would send the server's requests (and credentials) through another host: refused.
 * - The server URL is https (a cluster API carries credentials in every request), and its host is not
 *   a metadata address, nor private unless the operator allows private endpoints; names are resolved
 *   now, and every connection checks again at connect time (the upstream client's guarded lookup).
 */

export interface CheckedKubeconfig {
  /** The API server of the current context, as the kubeconfig names it. */
  server: string;
  context: string;
}

const FILE_FIELDS: Record<string, string> = {
  'certificate-authority': 'certificate-authority-data',
  'client-certificate': 'client-certificate-data',
  'client-key': 'client-key-data',
  tokenFile: 'token',
};

/** Problems of a kubeconfig, each with field `kubeconfig` or `kubeconfig.<path>`; empty when it may be kept. */
export async function checkKubeconfig(
  text: string,
  policy: AddressPolicy,
): Promise<{ ok: true; value: CheckedKubeconfig } | { ok: false; problems: ErrorDetail[] }> {
  const fail = (message: string, path = ''): { ok: false; problems: ErrorDetail[] } => ({
    ok: false,
    problems: [{ field: path === '' ? 'kubeconfig' : `kubeconfig.${path}`, message }],
  });
  let doc: unknown;
  try {
    doc = loadHelmYaml(text, 30);
  } catch (err) {
    if (err instanceof SafeYamlError)
      return fail(`The kubeconfig is not YAML Charthouse can read (${err.failure.kind}).`);
    return fail('The kubeconfig is not valid YAML.');
  }
  if (!isMap(doc)) return fail('The kubeconfig must be a YAML mapping with clusters, users and contexts.');
  const contexts = namedList(doc.contexts);
  const clusters = namedList(doc.clusters);
  const users = namedList(doc.users);
  const problems: ErrorDetail[] = [];
  for (const [i, u] of users.entries()) {
    const user = isMap(u.body.user) ? u.body.user : {};
    const at = `users[${i}].user`;
    if ('exec' in user) {
      problems.push({
        field: `kubeconfig.${at}.exec`,
        message: `User "${u.name}" runs an exec plugin, which the server will never run: embed a token or client certificate instead.`,
      });
    }
    if ('auth-provider' in user) {
      problems.push({
        field: `kubeconfig.${at}.auth-provider`,
        message: `User "${u.name}" uses an auth provider plugin, which the server will never run: embed a token or client certificate instead.`,
      });
    }
    for (const [field, instead] of Object.entries(FILE_FIELDS)) {
      if (field in user && field !== 'certificate-authority') {
        problems.push({
          field: `kubeconfig.${at}.${field}`,
          message: `User "${u.name}" names a file (${field}), which the server will never read: embed it as ${instead}.`,
        });
      }
    }
  }
  for (const [i, c] of clusters.entries()) {
    const cluster = isMap(c.body.cluster) ? c.body.cluster : {};
    const at = `clusters[${i}].cluster`;
    if ('certificate-authority' in cluster) {
      problems.push({
        field: `kubeconfig.${at}.certificate-authority`,
        message: `Cluster "${c.name}" names a CA file, which the server will never read: embed it as certificate-authority-data.`,
      });
    }
    if ('proxy-url' in cluster) {
      problems.push({
        field: `kubeconfig.${at}.proxy-url`,
        message: `Cluster "${c.name}" sends its requests through a proxy: remove proxy-url, the server connects directly.`,
      });
    }
  }
  if (problems.length > 0) return { ok: false, problems };

  const current =
    typeof doc['current-context'] === 'string' && doc['current-context'] !== ''
      ? doc['current-context']
      : undefined;
  const context =
    current !== undefined
      ? contexts.find((c) => c.name === current)
      : contexts.length === 1
        ? contexts[0]
        : undefined;
  if (!context) {
    return fail(
      current !== undefined
        ? `The current context "${current}" is not among the kubeconfig's contexts.`
        : 'Set current-context: the kubeconfig has no context, or several and none chosen.',
      'current-context',
    );
  }
  const ctx = isMap(context.body.context) ? context.body.context : {};
  const cluster = clusters.find((c) => c.name === ctx.cluster);
  if (!cluster)
    return fail(
      `Context "${context.name}" names cluster "${String(ctx.cluster)}", which the kubeconfig lacks.`,
      'contexts',
    );
  if (ctx.user !== undefined && !users.some((u) => u.name === ctx.user)) {
    return fail(
      `Context "${context.name}" names user "${String(ctx.user)}", which the kubeconfig lacks.`,
      'contexts',
    );
  }
  const server = isMap(cluster.body.cluster) ? cluster.body.cluster.server : undefined;
  if (typeof server !== 'string' || server === '')
    return fail(`Cluster "${cluster.name}" has no server URL.`, 'clusters');
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    return fail(`Cluster "${cluster.name}" has a server that is not a URL.`, 'clusters');
  }
  if (url.protocol !== 'https:') {
    return fail(
      `Cluster "${cluster.name}": the API server must be reached over https (every request carries credentials).`,
      'clusters',
    );
  }
  if (url.username !== '' || url.password !== '') {
    return fail(
      `Cluster "${cluster.name}": the server URL must not hold credentials; put them in the user.`,
      'clusters',
    );
  }
  try {
    await checkAddress(url.hostname, policy);
  } catch (err) {
    return fail(err instanceof Error ? err.message : 'The API server address is not allowed.', 'clusters');
  }
  return {
    ok: true,
    value: { server: url.origin + url.pathname.replace(/\/+$/, ''), context: context.name },
  };
}

/** The host literal, then (for a name) every address it resolves to now; an unresolvable name passes (checked at connect). */
async function checkAddress(hostname: string, policy: AddressPolicy): Promise<void> {
  checkHostAllowed(hostname, policy);
  const bare = hostname.replace(/^\[|\]$/g, '');
  if (isIP(bare) !== 0) return;
  let addresses: Array<{ address: string }>;
  try {
    addresses = await lookup(bare, { all: true, verbatim: true });
  } catch {
    return;
  }
  for (const a of addresses) checkAddressAllowed(a.address, policy);
}

type YamlMap = Record<string, unknown>;
const isMap = (v: unknown): v is YamlMap => typeof v === 'object' && v !== null && !Array.isArray(v);

function namedList(v: unknown): Array<{ name: string; body: YamlMap }> {
  if (!Array.isArray(v)) return [];
  return v.filter(isMap).map((body) => ({ name: typeof body.name === 'string' ? body.name : '', body }));
}
