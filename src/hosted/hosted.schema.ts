import { Type, type Static } from '@sinclair/typebox';
import { RegistryView } from '../registries/registry.schema.js';

/** A tenant's hosted registry as the console sees it: where helm clients reach it, who may do what. */
export const HostedView = Type.Object({
  registry: RegistryView,
  tenant: Type.String(),
  publicRead: Type.Boolean(),
  canPush: Type.Boolean(),
  canDelete: Type.Boolean(),
  urls: Type.Object({
    repository: Type.String(),
    chartmuseumApi: Type.String(),
    ociHost: Type.String(),
    ociNamespace: Type.String(),
    plainHttp: Type.Boolean(),
  }),
});
export type HostedView = Static<typeof HostedView>;

export const HostedPatchBody = Type.Object({ publicRead: Type.Boolean() }, { additionalProperties: false });
export type HostedPatchBody = Static<typeof HostedPatchBody>;
