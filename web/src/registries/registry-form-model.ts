import {
  ApiError,
  type RegistryCreateBody,
  type RegistryPatchBody,
  type RegistryView,
} from '../../../src/client/api-client.js';
// The server's own endpoint rules (pure code, no I/O): the form and the API give the same answer.
import { isValidOciRepositoryPath, parseRegistryEndpoint } from '../../../src/protocol/registry-endpoint.js';

/**
 * The Add / Edit Helm Registry form as the user fills it in, and its translation to the API's bodies.
 * Pure functions, no React: the form component only holds the values and shows the errors.
 */
export interface RegistryFormValues {
  name: string;
  endpoint: string;
  protected: boolean;
  noAuth: boolean;
  username: string;
  /** Empty on edit means "keep the stored password". */
  password: string;
  caCert: string | null;
  caCertFileName: string | null;
  insecureSkipVerify: boolean;
  passCredentials: boolean;
  plainHttp: boolean;
  /** One repository per line. */
  ociRepositories: string;
  syncIntervalMinutes: string;
}

export type FieldKey =
  | 'name'
  | 'endpoint'
  | 'protected'
  | 'noAuth'
  | 'username'
  | 'password'
  | 'caCert'
  | 'insecureSkipVerify'
  | 'passCredentials'
  | 'plainHttp'
  | 'ociRepositories'
  | 'syncIntervalMinutes';

export interface FormErrors {
  /** Shown at the top of the form: what happened, in words. */
  summary: string | null;
  fields: Partial<Record<FieldKey, string>>;
}

export const NO_ERRORS: FormErrors = { summary: null, fields: {} };
export const DEFAULT_SYNC_INTERVAL = 60;
export const MIN_SYNC_INTERVAL = 5;
export const MAX_SYNC_INTERVAL = 10080;

/** Fields under the "Advanced options" disclosure: an error there must open it. */
export const ADVANCED_FIELDS: readonly FieldKey[] = [
  'caCert',
  'insecureSkipVerify',
  'passCredentials',
  'plainHttp',
  'ociRepositories',
  'syncIntervalMinutes',
];

export function emptyValues(): RegistryFormValues {
  return {
    name: '',
    endpoint: '',
    protected: false,
    noAuth: true,
    username: '',
    password: '',
    caCert: null,
    caCertFileName: null,
    insecureSkipVerify: false,
    passCredentials: false,
    plainHttp: false,
    ociRepositories: '',
    syncIntervalMinutes: String(DEFAULT_SYNC_INTERVAL),
  };
}

export function valuesFrom(registry: RegistryView): RegistryFormValues {
  return {
    name: registry.name,
    endpoint: registry.endpoint,
    protected: registry.protected,
    noAuth: registry.auth.type === 'none',
    username: registry.auth.username ?? '',
    password: '',
    caCert: registry.tls.caCert,
    caCertFileName: null,
    insecureSkipVerify: registry.tls.insecureSkipVerify,
    passCredentials: registry.passCredentials,
    plainHttp: registry.plainHttp,
    ociRepositories: registry.ociRepositories.join('\n'),
    syncIntervalMinutes: String(registry.syncIntervalMinutes),
  };
}

export const isOciEndpoint = (endpoint: string): boolean => /^\s*oci:\/\//i.test(endpoint);

const repositoriesOf = (text: string): string[] =>
  text
    .split(/[\n,]/)
    .map((line) => line.trim())
    .filter((line) => line !== '');

/**
 * The server's registry name rule (REGISTRY_NAME_PATTERN in src/registries/registry.schema.ts, which
 * the console cannot import without the server's schema library; a test keeps the two equal).
 */
export const REGISTRY_NAME_PATTERN = '^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$';
const NAME = new RegExp(REGISTRY_NAME_PATTERN);
export const NAME_RULE =
  'Use letters, digits, ".", "_" and "-" only, starting and ending with a letter or digit.';
const REQUIRED = 'Required.';

/** What the form is checked against besides its values: on edit, a stored password may be kept. */
export interface CheckContext {
  /** The registry's values when the form opened; absent when adding one. */
  initial?: RegistryFormValues;
}

/**
 * Every field the browser can judge by itself, checked before anything is sent, with the server's
 * own rules (name pattern, endpoint parser, OCI repository names, sync interval range), so an empty or
 * half-filled form is answered at once, every field together. What needs the registry itself (is it
 * reachable, are the credentials accepted, is the name free) stays the server's to say.
 */
export function checkLocally(values: RegistryFormValues, context: CheckContext = {}): FormErrors | null {
  const fields: FormErrors['fields'] = {};
  const name = values.name.trim();
  if (name === '') fields.name = REQUIRED;
  else if (name.length > 63) fields.name = 'At most 63 characters.';
  else if (!NAME.test(name)) fields.name = NAME_RULE;

  const endpoint = values.endpoint.trim();
  const oci = isOciEndpoint(endpoint);
  if (endpoint === '') fields.endpoint = REQUIRED;
  else {
    try {
      parseRegistryEndpoint(endpoint, { ociPlainHttp: oci && values.plainHttp });
    } catch (err) {
      fields.endpoint = err instanceof Error ? err.message : 'Not a registry endpoint.';
    }
  }

  if (!values.noAuth) {
    const username = values.username.trim();
    if (username === '') fields.username = REQUIRED;
    // On edit the stored password is kept for the same user; a new user (or none before) needs one.
    const initial = context.initial;
    const keepsPassword = initial !== undefined && !initial.noAuth && username === initial.username;
    if (values.password === '' && !keepsPassword) fields.password = REQUIRED;
  }

  if (oci) {
    const bad = repositoriesOf(values.ociRepositories)
      .map((r) => r.replace(/^\/+|\/+$/g, ''))
      .filter((r) => !isValidOciRepositoryPath(r));
    if (bad.length > 0)
      fields.ociRepositories = `Not an OCI repository name: ${bad.map((r) => `"${r}"`).join(', ')} (lowercase letters, digits, ".", "_", "-", "/").`;
  }

  const text = values.syncIntervalMinutes.trim();
  if (text !== '') {
    const n = Number(text);
    if (!Number.isInteger(n) || n < MIN_SYNC_INTERVAL || n > MAX_SYNC_INTERVAL)
      fields.syncIntervalMinutes = `Enter a whole number of minutes from ${MIN_SYNC_INTERVAL} to ${MAX_SYNC_INTERVAL}.`;
  }
  const count = Object.keys(fields).length;
  if (count === 0) return null;
  return {
    summary: `Nothing was saved. Correct the highlighted field${count === 1 ? '' : 's'} and confirm again.`,
    fields,
  };
}

const syncInterval = (values: RegistryFormValues): number | undefined => {
  const text = values.syncIntervalMinutes.trim();
  return text === '' ? undefined : Number(text);
};

export function toCreateBody(values: RegistryFormValues): RegistryCreateBody {
  const oci = isOciEndpoint(values.endpoint);
  const body: RegistryCreateBody = {
    name: values.name.trim(),
    endpoint: values.endpoint.trim(),
    protected: values.protected,
    auth: values.noAuth
      ? { type: 'none' }
      : { type: 'basic', username: values.username.trim(), password: values.password },
    passCredentials: values.passCredentials,
  };
  if (values.caCert !== null || values.insecureSkipVerify) {
    body.tls = { insecureSkipVerify: values.insecureSkipVerify };
    if (values.caCert !== null) body.tls.caCert = values.caCert;
  }
  if (oci) {
    body.plainHttp = values.plainHttp;
    const repositories = repositoriesOf(values.ociRepositories);
    if (repositories.length > 0) body.ociRepositories = repositories;
  }
  const interval = syncInterval(values);
  if (interval !== undefined) body.syncIntervalMinutes = interval;
  return body;
}

/**
 * Only what changed, so a rename or a new sync interval does not re-validate the upstream or ask for
 * the password again (the server re-checks whenever the connection settings are in the request).
 * `null` when nothing changed.
 */
export function toPatchBody(
  initial: RegistryFormValues,
  values: RegistryFormValues,
): RegistryPatchBody | null {
  const patch: RegistryPatchBody = {};
  const name = values.name.trim();
  const endpoint = values.endpoint.trim();
  if (name !== initial.name) patch.name = name;
  if (endpoint !== initial.endpoint) patch.endpoint = endpoint;
  if (values.protected !== initial.protected) patch.protected = values.protected;

  const username = values.username.trim();
  if (
    values.noAuth !== initial.noAuth ||
    (!values.noAuth && (username !== initial.username || values.password))
  ) {
    patch.auth = values.noAuth
      ? { type: 'none' }
      : { type: 'basic', username, ...(values.password ? { password: values.password } : {}) };
  }
  if (values.passCredentials !== initial.passCredentials) patch.passCredentials = values.passCredentials;

  const tls: NonNullable<RegistryPatchBody['tls']> = {};
  if (values.caCert !== initial.caCert) tls.caCert = values.caCert;
  if (values.insecureSkipVerify !== initial.insecureSkipVerify)
    tls.insecureSkipVerify = values.insecureSkipVerify;
  if (Object.keys(tls).length > 0) patch.tls = tls;

  if (isOciEndpoint(endpoint)) {
    if (values.plainHttp !== initial.plainHttp) patch.plainHttp = values.plainHttp;
    const repositories = repositoriesOf(values.ociRepositories);
    if (repositories.join('\n') !== repositoriesOf(initial.ociRepositories).join('\n'))
      patch.ociRepositories = repositories;
  } else if (initial.plainHttp) {
    // Leaving OCI: the server refuses plainHttp on an http(s) endpoint.
    patch.plainHttp = false;
  }
  const interval = syncInterval(values);
  if (interval !== undefined && String(interval) !== initial.syncIntervalMinutes)
    patch.syncIntervalMinutes = interval;

  return Object.keys(patch).length > 0 ? patch : null;
}

/** The API names fields by their JSON path (`auth.password`, `ociRepositories[2]`); the form by control. */
export function fieldKeyOf(apiField: string | undefined): FieldKey | null {
  if (!apiField) return null;
  const path = apiField.replace(/^body\./, '').replace(/\[\d+\]/g, '');
  const map: Record<string, FieldKey> = {
    name: 'name',
    endpoint: 'endpoint',
    protected: 'protected',
    auth: 'password',
    'auth.type': 'noAuth',
    'auth.username': 'username',
    'auth.password': 'password',
    tls: 'caCert',
    'tls.caCert': 'caCert',
    'tls.insecureSkipVerify': 'insecureSkipVerify',
    passCredentials: 'passCredentials',
    plainHttp: 'plainHttp',
    ociRepositories: 'ociRepositories',
    syncIntervalMinutes: 'syncIntervalMinutes',
  };
  return map[path] ?? null;
}

/** Schema-level messages are terse ("is required"); say the same thing as a sentence about this field. */
function fieldMessage(key: FieldKey, message: string): string {
  if (key === 'name' && /not allowed|pattern/.test(message)) return NAME_RULE;
  if (/^is required$|^required$|^must not be empty$/.test(message)) return 'Required.';
  if (key === 'syncIntervalMinutes' && /must be/.test(message))
    return `Enter a whole number of minutes from ${MIN_SYNC_INTERVAL} to ${MAX_SYNC_INTERVAL}.`;
  const sentence = message.charAt(0).toUpperCase() + message.slice(1);
  return /[.!?]$/.test(sentence) ? sentence : `${sentence}.`;
}

/**
 * An API failure as form errors. Field details go next to their controls and the top says nothing was
 * saved; a failure without details (the upstream could not be reached, the password was refused, the
 * name is taken) is a sentence from the server, shown at the top.
 */
export function errorsFrom(error: unknown): FormErrors {
  if (!(error instanceof ApiError)) {
    return {
      summary: `Nothing was saved: ${error instanceof Error ? error.message : 'the console failed unexpectedly.'}`,
      fields: {},
    };
  }
  if (error.code === 'registry_name_taken') {
    return { summary: 'Nothing was saved.', fields: { name: error.message } };
  }
  const fields: FormErrors['fields'] = {};
  const unplaced: string[] = [];
  for (const detail of error.details) {
    const key = fieldKeyOf(detail.field);
    if (key && !fields[key]) fields[key] = fieldMessage(key, detail.message);
    else if (!key) unplaced.push(detail.field ? `${detail.field}: ${detail.message}` : detail.message);
  }
  if (Object.keys(fields).length === 0) return { summary: `Nothing was saved. ${error.message}`, fields };
  const summary = ['Nothing was saved. Correct the highlighted fields and confirm again.', ...unplaced].join(
    ' ',
  );
  return { summary, fields };
}
