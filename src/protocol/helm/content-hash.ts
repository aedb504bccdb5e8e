import { hash } from 'node:crypto';
import type { ChartDependency, ChartMaintainer, ChartVersionRecord } from './chart-version-record.js';

type RecordBody = Omit<ChartVersionRecord, 'sortKey' | 'contentHash'>;

/*
 * The content hash's input: every string length-prefixed (`5:hello`), absent values as "~", lists with
 * their length, fields in one fixed order and annotations by sorted key (readAnnotations), so the text is
 * unambiguous and an unchanged entry always gives the same one, whatever order the index wrote it in.
 * Written out field by field because it is about twice as fast as JSON.stringify or a generic walk (the
 * hash is most of the cost of normalizing); the type checks below fail to compile when a field is added
 * to the record without being added here.
 */
function str(value: string | null | undefined): string {
  return value === null || value === undefined ? '~' : `${value.length}:${value}`;
}

function strs(values: readonly string[] | undefined): string {
  if (values === undefined) return '~';
  let text = `[${values.length}`;
  for (const value of values) text += str(value);
  return text;
}

function canonicalDependency(dependency: ChartDependency): string {
  let text =
    str(dependency.name) +
    str(dependency.version) +
    str(dependency.repository) +
    str(dependency.condition) +
    strs(dependency.tags) +
    str(dependency.alias) +
    (dependency.enabled === undefined ? '~' : dependency.enabled ? 'T' : 'F');
  if (dependency.importValues === undefined) return `${text}~`;
  text += `[${dependency.importValues.length}`;
  for (const item of dependency.importValues) {
    text += typeof item === 'string' ? `s${str(item)}` : `m${str(item.child)}${str(item.parent)}`;
  }
  return text;
}

export function canonicalBody(body: RecordBody): string {
  let text =
    str(body.name) +
    str(body.version) +
    str(body.appVersion) +
    str(body.apiVersion) +
    str(body.type) +
    str(body.description) +
    str(body.icon) +
    str(body.home) +
    strs(body.sources) +
    strs(body.keywords) +
    `[${body.maintainers.length}`;
  for (const maintainer of body.maintainers) {
    text += str(maintainer.name) + str(maintainer.email) + str(maintainer.url);
  }
  text +=
    str(body.kubeVersion) +
    (body.deprecated ? 'T' : 'F') +
    str(body.created) +
    str(body.digest) +
    strs(body.urls) +
    str(body.chartUrl) +
    `[${body.dependencies.length}`;
  for (const dependency of body.dependencies) text += canonicalDependency(dependency);
  text += '{';
  for (const key in body.annotations) text += str(key) + str(body.annotations[key]);
  return `${text}}`;
}

// Compile-time completeness of the serialization above: list a new field here AND serialize it there.
type Serialized<T, Fields extends keyof T> = [Exclude<keyof T, Fields>] extends [never] ? true : never;
const bodyFieldsSerialized: Serialized<
  RecordBody,
  | 'name'
  | 'version'
  | 'appVersion'
  | 'apiVersion'
  | 'type'
  | 'description'
  | 'icon'
  | 'home'
  | 'sources'
  | 'keywords'
  | 'maintainers'
  | 'kubeVersion'
  | 'deprecated'
  | 'created'
  | 'digest'
  | 'urls'
  | 'chartUrl'
  | 'dependencies'
  | 'annotations'
> = true;
const maintainerFieldsSerialized: Serialized<ChartMaintainer, 'name' | 'email' | 'url'> = true;
const dependencyFieldsSerialized: Serialized<
  ChartDependency,
  'name' | 'version' | 'repository' | 'condition' | 'tags' | 'alias' | 'enabled' | 'importValues'
> = true;
void [bodyFieldsSerialized, maintainerFieldsSerialized, dependencyFieldsSerialized];

/**
 * The content hash of a chart version record without its sortKey and contentHash: sha256 hex of a
 * canonical text. Use it for records built elsewhere (OCI) so that equal content hashes equal.
 */
export function chartVersionContentHash(body: Omit<ChartVersionRecord, 'sortKey' | 'contentHash'>): string {
  // `crypto.hash` is one call; `createHash` costs about 5 µs per hash, which adds up over 20,000 entries.
  return hashCanonicalBody(canonicalBody(body));
}

/** The hash of a text made by {@link canonicalBody} (normalizeIndex builds the text itself to scan it). */
export function hashCanonicalBody(text: string): string {
  return hash('sha256', text, 'hex');
}
