import type { HostedUrls } from '../../../src/client/api-client.js';
import {
  ociPull,
  ociPush,
  ociReference,
  registryLogin,
  repoAdd,
  repoPull,
  SECRET_VARIABLE,
  shellQuote,
} from '../helm/helm-commands.js';

export { SECRET_VARIABLE, shellQuote };

/** One copy-paste step on the hosted registry page. */
export interface Instruction {
  id: string;
  title: string;
  /** Shell text, one command per line: what the Copy button copies. */
  command: string;
  /** A sentence shown under the command. */
  note?: string | undefined;
}

export interface InstructionInput {
  /** The tenant's slug: the helm repository name and the OCI namespace's last segment. */
  tenant: string;
  urls: HostedUrls;
  /** The signed-in user, for `--username`. */
  username: string;
  publicRead: boolean;
  /** The chart the examples name; a chart of the registry when it has one. */
  chart?: { name: string; version: string };
}

const EXAMPLE_CHART = { name: 'mychart', version: '0.1.0' };

/**
 * The helm commands for this registry, built from the URLs the server reports (its public URL, not
 * the browser's address), so they work from a terminal as they are; the commands themselves come
 * from helm/helm-commands.ts, like the chart pages'.
 */
export function buildInstructions(input: InstructionInput): Instruction[] {
  const { tenant, urls, username } = input;
  const chart = input.chart ?? EXAMPLE_CHART;
  const archive = `${chart.name}-${chart.version}.tgz`;
  const secretNote = `${SECRET_VARIABLE} holds your password or an API token (charthouse token create).`;

  return [
    {
      id: 'repo-add',
      title: 'Add the repository to helm',
      command: repoAdd(tenant, urls.repository, username),
      note: input.publicRead
        ? `${secretNote} Public read is on: anonymous clients may leave out the echo, --username and --password-stdin to pull.`
        : secretNote,
    },
    {
      id: 'cm-push',
      title: 'Upload a packaged chart (ChartMuseum API)',
      command: [
        'helm plugin install https://github.com/chartmuseum/helm-push',
        `helm cm-push ${shellQuote(archive)} ${shellQuote(tenant)}`,
      ].join('\n'),
      note: 'The helm-push plugin is installed once. It uses the credentials of helm repo add.',
    },
    {
      id: 'repo-pull',
      title: 'Pull from the repository',
      command: [`helm repo update ${shellQuote(tenant)}`, repoPull(tenant, chart.name, chart.version)].join(
        '\n',
      ),
    },
    ...loginInstructions(urls.ociHost, username, urls.plainHttp),
    {
      id: 'oci-push',
      title: 'Push a packaged chart over OCI',
      command: ociPush(archive, urls.ociNamespace, urls.plainHttp),
    },
    {
      id: 'oci-pull',
      title: 'Pull over OCI',
      command: ociPull(ociReference(urls.ociNamespace, chart.name), chart.version, urls.plainHttp),
      note: urls.plainHttp
        ? 'This server speaks plain HTTP: helm push, pull and install need --plain-http (Helm 3.13 and later, and Helm 4).'
        : undefined,
    },
  ];
}

/**
 * Signing in to an OCI registry, as one step, or one per Helm major where they need different flags
 * (plain HTTP): each with its own Copy button, since running both would fail one of them.
 */
export function loginInstructions(host: string, username: string, plainHttp: boolean): Instruction[] {
  const note = `${SECRET_VARIABLE} holds the password or API token: it goes to helm on stdin, never on the command line.`;
  return registryLogin(host, username, plainHttp).map(({ command, helm }) =>
    helm === undefined
      ? { id: 'oci-login', title: 'Sign in to the OCI registry', command, note }
      : {
          id: `oci-login-helm${helm}`,
          title: `Sign in to the OCI registry (Helm ${helm})`,
          command,
          note:
            helm === 3
              ? 'This server speaks plain HTTP: Helm 3 signs in with --insecure (its registry login has no --plain-http).'
              : 'This server speaks plain HTTP: Helm 4 signs in with --plain-http (it refuses --insecure over HTTP).',
        },
  );
}
