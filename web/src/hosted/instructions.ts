import type { HostedUrls } from '../../../src/client/api-client.js';

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

/** The variable the commands read the password or API token from (the CLI reads it too). */
export const SECRET_VARIABLE = 'CHARTHOUSE_TOKEN';

const EXAMPLE_CHART = { name: 'mychart', version: '0.1.0' };

/**
 * The helm commands for this registry, built from the URLs the server reports (its public URL, not
 * the browser's address), so they work from a terminal as they are. Every value is shell-quoted where
 * needed; the secret stays in a variable, so it never lands in shell history or `ps`.
 */
export function buildInstructions(input: InstructionInput): Instruction[] {
  const { tenant, urls, username } = input;
  const chart = input.chart ?? EXAMPLE_CHART;
  const repo = shellQuote(tenant);
  const user = shellQuote(username);
  const archive = shellQuote(`${chart.name}-${chart.version}.tgz`);
  const version = shellQuote(chart.version);
  const secret = `"$${SECRET_VARIABLE}"`;
  const plainHttp = urls.plainHttp ? ' --plain-http' : '';
  const oci = (path: string) => shellQuote(`oci://${path}`);

  return [
    {
      id: 'repo-add',
      title: 'Add the repository to helm',
      command: `helm repo add ${repo} ${shellQuote(urls.repository)} --username ${user} --password ${secret}`,
      note: input.publicRead
        ? `${SECRET_VARIABLE} holds your password or an API token (charthouse token create). Public read is on: anonymous clients may leave out --username and --password to pull.`
        : `${SECRET_VARIABLE} holds your password or an API token (charthouse token create).`,
    },
    {
      id: 'cm-push',
      title: 'Upload a packaged chart (ChartMuseum API)',
      command: [
        'helm plugin install https://github.com/chartmuseum/helm-push',
        `helm cm-push ${archive} ${repo}`,
      ].join('\n'),
      note: 'The helm-push plugin is installed once. It uses the credentials of helm repo add.',
    },
    {
      id: 'repo-pull',
      title: 'Pull from the repository',
      command: [
        `helm repo update ${repo}`,
        `helm pull ${shellQuote(`${tenant}/${chart.name}`)} --version ${version}`,
      ].join('\n'),
    },
    {
      id: 'oci-login',
      title: 'Sign in to the OCI registry',
      command: `echo ${secret} | helm registry login ${shellQuote(urls.ociHost)} --username ${user} --password-stdin${urls.plainHttp ? ' --insecure' : ''}`,
      note: urls.plainHttp
        ? 'This server speaks plain HTTP: --insecure lets helm sign in without TLS, and push and pull need --plain-http.'
        : undefined,
    },
    {
      id: 'oci-push',
      title: 'Push a packaged chart over OCI',
      command: `helm push ${archive} ${oci(urls.ociNamespace)}${plainHttp}`,
    },
    {
      id: 'oci-pull',
      title: 'Pull over OCI',
      command: `helm pull ${oci(`${urls.ociNamespace}/${chart.name}`)} --version ${version}${plainHttp}`,
    },
  ];
}

/** POSIX shell quoting, only where needed: URLs and slugs stay readable. */
export function shellQuote(value: string): string {
  if (value !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
