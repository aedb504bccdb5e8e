import { Type, type Static } from '@sinclair/typebox';
import { cursorQuery, Page } from '../http/api-shapes.js';

/** Registry names end up in URLs and CLI arguments: keep them to a URL-safe slug. */
export const REGISTRY_NAME_PATTERN = '^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$';
export const MAX_CA_CERT_LENGTH = 64 * 1024;
export const MAX_OCI_REPOSITORIES = 500;

export const RegistryName = Type.String({
  pattern: REGISTRY_NAME_PATTERN,
  minLength: 1,
  maxLength: 63,
  description: 'Unique within its scope: letters, digits, ".", "_" and "-", at most 63 characters.',
});

const Endpoint = Type.String({
  minLength: 1,
  maxLength: 2048,
  description: 'http(s)://… for a classic Helm repository, oci://host[:port][/path] for an OCI registry.',
});

const AuthIn = Type.Union([
  Type.Object({ type: Type.Literal('none') }, { additionalProperties: false }),
  Type.Object(
    {
      type: Type.Literal('basic'),
      username: Type.String({ minLength: 1, maxLength: 256 }),
      // Optional on PATCH (keeps the stored password); required on create, checked by the service.
      password: Type.Optional(Type.String({ minLength: 1, maxLength: 4096, writeOnly: true })),
    },
    { additionalProperties: false },
  ),
]);

const TlsIn = Type.Object(
  {
    caCert: Type.Optional(Type.Union([Type.String({ maxLength: MAX_CA_CERT_LENGTH }), Type.Null()])),
    insecureSkipVerify: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

const OciRepositories = Type.Array(Type.String({ minLength: 1, maxLength: 255 }), {
  maxItems: MAX_OCI_REPOSITORIES,
  description: 'Chart repositories to read when the registry keeps /v2/_catalog closed.',
});

const SyncInterval = Type.Integer({
  minimum: 5,
  maximum: 10080,
  description: 'Minutes between syncs (5 to 10080).',
});

export const RegistryCreateBody = Type.Object(
  {
    name: RegistryName,
    endpoint: Endpoint,
    protected: Type.Optional(Type.Boolean({ default: false })),
    auth: Type.Optional(AuthIn),
    passCredentials: Type.Optional(Type.Boolean({ default: false })),
    tls: Type.Optional(TlsIn),
    ociRepositories: Type.Optional(OciRepositories),
    plainHttp: Type.Optional(
      Type.Boolean({ description: 'OCI only: talk http instead of https, like `helm --plain-http`.' }),
    ),
    syncIntervalMinutes: Type.Optional(SyncInterval),
    maxIndexBytes: Type.Optional(
      Type.Union([Type.Integer({ minimum: 1024, maximum: 1024 * 1024 * 1024 }), Type.Null()], {
        description: 'Largest index.yaml this registry may serve, in bytes (null: the server default).',
      }),
    ),
  },
  { additionalProperties: false },
);
export type RegistryCreateBody = Static<typeof RegistryCreateBody>;

export const RegistryPatchBody = Type.Partial(RegistryCreateBody, {
  additionalProperties: false,
  minProperties: 1,
});
export type RegistryPatchBody = Static<typeof RegistryPatchBody>;

export const RegistryView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  scope: Type.Union([Type.Literal('system'), Type.Literal('tenant')]),
  kind: Type.Union([Type.Literal('helm'), Type.Literal('oci'), Type.Literal('hosted')]),
  endpoint: Type.String(),
  protected: Type.Boolean(),
  auth: Type.Object({
    type: Type.Union([Type.Literal('none'), Type.Literal('basic')]),
    username: Type.Optional(Type.String()),
  }),
  passCredentials: Type.Boolean(),
  tls: Type.Object({
    caCert: Type.Union([Type.String(), Type.Null()]),
    insecureSkipVerify: Type.Boolean(),
  }),
  ociRepositories: Type.Array(Type.String()),
  plainHttp: Type.Boolean(),
  syncIntervalMinutes: Type.Integer(),
  maxIndexBytes: Type.Union([Type.Integer(), Type.Null()]),
  syncStatus: Type.Union([
    Type.Literal('disabled'),
    Type.Literal('never'),
    Type.Literal('syncing'),
    Type.Literal('synced'),
    Type.Literal('failed'),
  ]),
  lastSyncedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  lastError: Type.Union([Type.String(), Type.Null()]),
  chartCount: Type.Integer(),
  versionCount: Type.Integer(),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
  warnings: Type.Optional(
    Type.Array(Type.String(), { description: 'Validation warnings (create and update only).' }),
  ),
});
export type RegistryView = Static<typeof RegistryView>;

export const RegistryList = Page(RegistryView);
export type RegistryList = Static<typeof RegistryList>;

export const ListQuery = Type.Object(
  {
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}$', description: '1 to 500, default 100' })),
    cursor: Type.Optional(cursorQuery(200)),
  },
  { additionalProperties: false },
);
export type ListQuery = Static<typeof ListQuery>;
