import { Type, type TSchema, type TString } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { CLUSTER_NAME_PATTERN } from '../clusters/cluster.schema.js';
import { USERNAME_PATTERN } from '../identity/auth.service.js';
import { MAX_CHART_NAME_LENGTH } from '../protocol/helm/chart-version.js';
import { CHART_NAME } from '../protocol/helm/entry-fields.js';
import { LOOSE_SEMVER, MAX_VERSION_LENGTH } from '../protocol/helm/semver-sort.js';
import { DNS_LABEL } from '../profiles/layer-rules.js';
import { PROFILE_NAME_PATTERN } from '../profiles/profile.schema.js';
import { REGISTRY_NAME_PATTERN } from '../registries/registry.schema.js';
import { NotFoundError } from '../shared/errors.js';
import { ID_PATTERN } from '../shared/ids.js';
import { shownName } from '../shared/text.js';
import { TENANT_NAME_PATTERN } from '../tenants/tenant.schema.js';

/*
 * Path parameters, in one place: every route names its parameters with these schemas, so a value that
 * cannot name anything is refused before a handler runs and never reaches a query (PostgreSQL refuses
 * NUL bytes in text: an unchecked one was a 500). Each pattern is the rule of the thing it names,
 * imported from where that rule lives, never restated. Query pieces (free text, cursors) are in
 * api-shapes.ts; the edge check behind all of them is request-guard.ts.
 *
 * A path parameter that fails its schema is a 404 (see pathParameterNotFound): a path that cannot
 * name anything names nothing, and a tenant name that cannot exist must look like one that does not.
 * A query parameter that fails is a 400: the request is malformed.
 */

/** The `title` names the thing in the 404 ("Tenant "x" was not found."). */
const param = (title: string, pattern: RegExp | string, maxLength: number): TString =>
  Type.String({
    title,
    pattern: typeof pattern === 'string' ? pattern : pattern.source,
    minLength: 1,
    maxLength,
  });

/** A tenant slug (SPEC §1), or `system` where a route accepts it. */
export const TenantParam = param('Tenant', TENANT_NAME_PATTERN, 63);
export const RegistryNameParam = param('Helm registry', REGISTRY_NAME_PATTERN, 63);
/** Chart names as the catalog keeps them (chartNameProblem): looser than Helm's own rule on purpose. */
export const ChartNameParam = param('Chart', CHART_NAME, MAX_CHART_NAME_LENGTH);
/**
 * Versions as the catalog keeps them: Helm's lenient SemVer, so a synced `v1.2` stays addressable; a
 * literal `+` and `%2B` both arrive as `+` (Fastify decodes with decodeURIComponent).
 */
export const ChartVersionParam = param('Chart version', LOOSE_SEMVER, MAX_VERSION_LENGTH);
/** `<chart>-<version>.tgz` and its `.prov`, as chart URLs in index.yaml name them. */
export const ChartFileParam = param(
  'Chart file',
  /^[A-Za-z0-9_][A-Za-z0-9._+-]*\.tgz(?:\.prov)?$/,
  MAX_CHART_NAME_LENGTH + 1 + MAX_VERSION_LENGTH + '.tgz.prov'.length,
);
/** Any case: usernames compare case-insensitively (`Alice` is `alice`); otherwise the stored form. */
export const UsernameParam = param('Member', USERNAME_PATTERN.source.replaceAll('a-z', 'A-Za-z'), 64);
/** A stored chart icon by the sha256 of its bytes (64 lowercase hex), as icon responses name it. */
export const IconDigestParam = param('Icon', /^[0-9a-f]{64}$/, 64);
/** A cluster profile's name (a DNS label) and one of its versions (SemVer 2, like chart versions in form). */
export const ProfileNameParam = param('Cluster profile', PROFILE_NAME_PATTERN, 63);
export const ProfileVersionParam = param('Profile version', LOOSE_SEMVER, MAX_VERSION_LENGTH);
export const ClusterNameParam = param('Cluster', CLUSTER_NAME_PATTERN, 63);
/** A profile's layer name, as the agent's plan names it in download paths. */
export const LayerNameParam = param('Layer', DNS_LABEL, 63);
/** A record id (tokens, invitations, ...): what newId() makes. */
export const idParam = (title: string): TString => param(title, ID_PATTERN, 36);

/**
 * The longest path parameter any route accepts (a chart file name); Fastify's router refuses longer
 * ones before routing (its default of 100 cut legitimate chart names), and the schemas check the rest.
 */
export const MAX_PATH_PARAMETER_LENGTH = 1024;

// The 404 -----------------------------------------------------------------------------------------

interface ValidationIssue {
  instancePath: string;
}

/**
 * The 404 for a request whose path parameter failed its schema, named by the schema's title; null
 * for any other error. Shared by the JSON API's error handler and ChartMuseum's.
 */
export function pathParameterNotFound(error: unknown, request: FastifyRequest): NotFoundError | null {
  const e = error as { validation?: ValidationIssue[]; validationContext?: string };
  if (e.validationContext !== 'params' || !Array.isArray(e.validation)) return null;
  const key = (e.validation[0]?.instancePath ?? '').replace(/^\//, '').split('/')[0] ?? '';
  const schema = request.routeOptions.schema?.params as
    { properties?: Record<string, TSchema & { title?: string }> } | undefined;
  const title = schema?.properties?.[key]?.title ?? 'Path';
  const value = (request.params as Record<string, unknown> | undefined)?.[key];
  return new NotFoundError(title, typeof value === 'string' ? shownName(value) : key);
}
