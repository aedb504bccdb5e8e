/**
 * Every helm command the console shows (sign in, repo add, pull, install, push), built in one place
 * so the hosted registry page and the chart pages never drift apart. Pure: the callers pass the
 * URLs the server reported or the registry's own endpoint.
 *
 * Two rules hold for every command:
 * - No secret on the command line: passwords and tokens go through `--password-stdin` from a
 *   variable (`echo` is a shell builtin, so the value never shows in `ps`; a variable reference
 *   keeps it out of shell history), never `--password`.
 * - They work on Helm 3 and Helm 4 as written. Where the two differ (signing in to a registry over
 *   plain HTTP: Helm 3.17 takes `--insecure` and has no `--plain-http` for `registry login`; Helm 4
 *   refuses `--insecure` there with "server gave HTTP response to HTTPS client" and takes
 *   `--plain-http`), one command per major is given. Over HTTPS no flag is needed on either.
 */

/** The variable the commands read the password or API token from (the CLI reads it too). */
export const SECRET_VARIABLE = 'CHARTHOUSE_TOKEN';
const SECRET = `"$${SECRET_VARIABLE}"`;

/** A command, and the Helm majors it is for when they need different ones. */
export interface HelmCommand {
  command: string;
  /** Absent: the same command works on Helm 3 and Helm 4. */
  helm?: 3 | 4;
}

/** POSIX shell quoting, only where needed: URLs and slugs stay readable. */
export function shellQuote(value: string): string {
  if (value !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** `--username U --password-stdin`, fed from the secret variable by the `echo … |` in front. */
const withSecret = (command: string, username: string): string =>
  `echo ${SECRET} | ${command} --username ${shellQuote(username)} --password-stdin`;

/**
 * `helm registry login`: one command over HTTPS; over plain HTTP one for Helm 3 (`--insecure`) and
 * one for Helm 4 (`--plain-http`), since neither major accepts the other's flag for this.
 */
export function registryLogin(host: string, username: string, plainHttp: boolean): HelmCommand[] {
  const login = withSecret(`helm registry login ${shellQuote(host)}`, username);
  if (!plainHttp) return [{ command: login }];
  return [
    { command: `${login} --insecure`, helm: 3 },
    { command: `${login} --plain-http`, helm: 4 },
  ];
}

/** `helm repo add`, with credentials from stdin when the repository needs them. */
export function repoAdd(name: string, url: string, username?: string): string {
  const add = `helm repo add ${shellQuote(name)} ${shellQuote(url)}`;
  return username === undefined ? add : withSecret(add, username);
}

const plain = (plainHttp: boolean): string => (plainHttp ? ' --plain-http' : '');

/** `oci://HOST/PATH/CHART`: how helm names a chart in an OCI registry. */
export const ociReference = (namespace: string, chart: string): string =>
  `oci://${namespace.replace(/\/+$/, '')}/${chart}`;

/**
 * The tag a chart version has in an OCI registry: Helm writes `+` (SemVer build metadata) as `_`,
 * since `+` is not allowed in an OCI tag, and reads `_` back as `+`.
 */
export const ociTag = (version: string): string => version.replaceAll('+', '_');

/** `HOST/PATH/CHART:TAG` of an `oci://` reference: what other OCI tools (oras, skopeo, crane) take. */
export const versionedReference = (reference: string, version: string): string =>
  `${reference.replace(/^oci:\/\//, '')}:${ociTag(version)}`;

export function ociPull(reference: string, version: string, plainHttp: boolean): string {
  return `helm pull ${shellQuote(reference)} --version ${shellQuote(version)}${plain(plainHttp)}`;
}

export function ociInstall(release: string, reference: string, version: string, plainHttp: boolean): string {
  return `helm install ${shellQuote(release)} ${shellQuote(reference)} --version ${shellQuote(version)}${plain(plainHttp)}`;
}

export function ociPush(archive: string, namespace: string, plainHttp: boolean): string {
  return `helm push ${shellQuote(archive)} ${shellQuote(`oci://${namespace}`)}${plain(plainHttp)}`;
}

export function repoPull(repo: string, chart: string, version: string): string {
  return `helm pull ${shellQuote(`${repo}/${chart}`)} --version ${shellQuote(version)}`;
}

export function repoInstall(release: string, repo: string, chart: string, version: string): string {
  return `helm install ${shellQuote(release)} ${shellQuote(`${repo}/${chart}`)} --version ${shellQuote(version)}`;
}

/**
 * A release name for the examples, as Artifact Hub's install snippets make one (`my-CHART`): a valid
 * Helm release name (DNS-1123 label, at most 53 characters).
 */
export function exampleRelease(chart: string): string {
  const name = `my-${chart.toLowerCase().replace(/[^a-z0-9-]+/g, '-')}`.slice(0, 53);
  return name.replace(/-+$/, '');
}
