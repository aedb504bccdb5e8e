import { InvalidRequestError } from '../shared/errors.js';

/** A registry endpoint as typed by a user, checked for form and normalized (no I/O). */
export interface ParsedEndpoint {
  kind: 'helm' | 'oci';
  /** As the user will see it: no trailing slash; `oci://host[:port][/path]` for OCI. */
  endpoint: string;
  /** The http(s) URL to talk to. For OCI only the origin (`https://host[:port]`); the path is `ociPathPrefix`. */
  baseUrl: URL;
  /** `''` or `path/without/slashes/at/ends`: the repository-name prefix inside an OCI registry. */
  ociPathPrefix: string;
  /** Host name as the URL parser normalized it; IPv6 without brackets. */
  host: string;
}

export interface ParseEndpointOptions {
  /** Talk to an OCI registry over plain http (Helm's `--plain-http`), e.g. a local test registry. */
  ociPlainHttp?: boolean;
}

export const MAX_ENDPOINT_LENGTH = 2048;

// One path component of an OCI repository name (distribution-spec "name" grammar).
const OCI_PATH_COMPONENT = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;

function invalid(message: string): InvalidRequestError {
  return new InvalidRequestError(message, [{ field: 'endpoint', message }]);
}

/** True when `path` (no leading/trailing slash) is a valid OCI repository name or name prefix. */
export function isValidOciRepositoryPath(path: string): boolean {
  return path.split('/').every((component) => OCI_PATH_COMPONENT.test(component));
}

function checkCommonForm(endpoint: string): string {
  if (endpoint.length === 0)
    throw invalid('The endpoint is empty: give the registry URL, e.g. https://charts.example.com.');
  if (endpoint.length > MAX_ENDPOINT_LENGTH) {
    throw invalid(`The endpoint is longer than ${MAX_ENDPOINT_LENGTH} characters.`);
  }
  // eslint-disable-next-line no-control-regex
  if (/[\s\u0000-\u001f\u007f-\u009f]/.test(endpoint)) {
    throw invalid('The endpoint contains spaces or control characters: remove them.');
  }
  if (endpoint.includes('\\')) throw invalid('The endpoint contains a backslash: use "/" in URLs.');
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(endpoint)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    throw invalid('The endpoint must start with https://, http:// or oci://.');
  }
  if (scheme !== 'http' && scheme !== 'https' && scheme !== 'oci') {
    throw invalid(`The endpoint scheme "${scheme}:" is not supported: use https://, http:// or oci://.`);
  }
  const authority = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/([^/?#]*)/.exec(endpoint)?.[1];
  if (authority === undefined || authority === '') {
    throw invalid(
      `The endpoint has no host: write it as ${scheme}://host${scheme === 'oci' ? '[:port][/path]' : '/path'}.`,
    );
  }
  if (authority.includes('@')) {
    throw invalid('The endpoint contains credentials: put credentials in auth, not in the URL.');
  }
  if (endpoint.includes('#')) throw invalid('The endpoint contains a fragment ("#..."): remove it.');
  return scheme;
}

function parseUrl(text: string): URL {
  try {
    return new URL(text);
  } catch {
    throw invalid('The endpoint is not a valid URL: check the host name and port.');
  }
}

function bareHost(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

function checkParsedHost(url: URL): void {
  if (url.hostname === '') throw invalid('The endpoint has no host.');
  if (url.port === '0') throw invalid('The endpoint port 0 is not valid.');
}

function parseHelm(endpoint: string): ParsedEndpoint {
  const url = parseUrl(endpoint);
  checkParsedHost(url);
  url.pathname = url.pathname.replace(/\/+$/, '');
  // `new URL` keeps "/" as the minimal path of an http URL; the user-facing form drops it.
  const shown = url.pathname === '/' ? `${url.origin}${url.search}` : url.href;
  return { kind: 'helm', endpoint: shown, baseUrl: url, ociPathPrefix: '', host: bareHost(url) };
}

function parseOci(endpoint: string, options: ParseEndpointOptions): ParsedEndpoint {
  if (endpoint.includes('?')) {
    throw invalid('An oci:// endpoint cannot have a query string ("?..."): remove it.');
  }
  const rest = endpoint.slice('oci://'.length);
  const slash = rest.indexOf('/');
  const authority = slash === -1 ? rest : rest.slice(0, slash);
  // The raw path is checked before URL parsing, which would silently resolve "." and ".." segments.
  const prefix = slash === -1 ? '' : rest.slice(slash + 1).replace(/\/+$/, '');
  if (prefix !== '' && !isValidOciRepositoryPath(prefix)) {
    throw invalid(
      `The path "/${prefix}" is not a valid OCI repository path: use lowercase letters, digits and ` +
        'separators (".", "_", "__", "-") between them, with single "/" between components.',
    );
  }
  // `oci:` is not a special scheme, so WHATWG would not normalize its host (0x7f000001 stays a name);
  // parsing it as https gives the same host normalization as the address the client connects to.
  const url = parseUrl(`https://${authority}/`);
  checkParsedHost(url);
  const baseUrl = new URL(url.origin);
  if (options.ociPlainHttp === true) baseUrl.protocol = 'http:';
  const shown = `oci://${url.host}${prefix === '' ? '' : `/${prefix}`}`;
  return { kind: 'oci', endpoint: shown, baseUrl, ociPathPrefix: prefix, host: bareHost(url) };
}

/** Checks and normalizes a registry endpoint; throws InvalidRequestError (field `endpoint`) saying what to fix. */
export function parseRegistryEndpoint(endpoint: string, options: ParseEndpointOptions = {}): ParsedEndpoint {
  const scheme = checkCommonForm(endpoint);
  return scheme === 'oci' ? parseOci(endpoint, options) : parseHelm(endpoint);
}

/**
 * Helm's ResolveReferenceURL (pkg/repo/chartrepo.go): an absolute reference is used as is; a relative
 * one is resolved against the base with exactly one trailing "/" on its path, and the BASE's query
 * string replaces the result's (so `https://h/r?sig=x` + `index.yaml` → `https://h/r/index.yaml?sig=x`).
 */
export function resolveHelmReference(base: URL, reference: string): URL {
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(reference)) return new URL(reference);
  const directory = new URL(base.href);
  directory.pathname = directory.pathname.replace(/\/$/, '') + '/';
  const resolved = new URL(reference, directory);
  resolved.search = base.search;
  resolved.hash = '';
  return resolved;
}
