import type {
  ProfileCreateBody,
  ProfileDiff,
  ProfileList,
  ProfilePlan,
  ProfileVersionView,
  ProfileView,
  VersionCreateBody,
  VersionSpecBody,
} from '../profiles/profile.schema.js';
import type { Collect, ListOptions, Transport } from './transport.js';
type Query = Record<string, string | number | undefined>;

const seg = (s: string): string => encodeURIComponent(s);
const profilesPath = (tenant: string): string => `/api/v1/tenants/${seg(tenant)}/profiles`;

/** Cluster profiles of a tenant (SPEC §2): versions are drafts until published, then locks. */
export function profileApi(t: Transport, collect: Collect) {
  const api = {
    list: (tenant: string, options: ListOptions = {}): Promise<ProfileList> =>
      t.call('GET', profilesPath(tenant), { query: { ...options } }),
    listAll: (tenant: string): Promise<ProfileView[]> => collect((cursor) => api.list(tenant, { cursor })),
    get: (tenant: string, name: string): Promise<ProfileView> =>
      t.call('GET', `${profilesPath(tenant)}/${seg(name)}`),
    /** Creates the profile with its first draft version (1.0.0 unless `version`). */
    create: (tenant: string, body: ProfileCreateBody): Promise<ProfileVersionView> =>
      t.call('POST', profilesPath(tenant), { body }),
    remove: (tenant: string, name: string): Promise<void> =>
      t.call('DELETE', `${profilesPath(tenant)}/${seg(name)}`),
    version: (tenant: string, name: string, version: string): Promise<ProfileVersionView> =>
      t.call('GET', `${profilesPath(tenant)}/${seg(name)}/versions/${seg(version)}`),
    /** A new draft: a clone of `from`, or fresh with the content given. */
    createVersion: (tenant: string, name: string, body: VersionCreateBody): Promise<ProfileVersionView> =>
      t.call('POST', `${profilesPath(tenant)}/${seg(name)}/versions`, { body }),
    /** Replaces a draft's content (409 once published). */
    updateVersion: (
      tenant: string,
      name: string,
      version: string,
      body: VersionSpecBody,
    ): Promise<ProfileVersionView> =>
      t.call('PUT', `${profilesPath(tenant)}/${seg(name)}/versions/${seg(version)}`, { body }),
    removeVersion: (tenant: string, name: string, version: string): Promise<void> =>
      t.call('DELETE', `${profilesPath(tenant)}/${seg(name)}/versions/${seg(version)}`),
    publish: (tenant: string, name: string, version: string): Promise<ProfileVersionView> =>
      t.call('POST', `${profilesPath(tenant)}/${seg(name)}/versions/${seg(version)}/publish`),
    diff: (tenant: string, name: string, from: string, to: string): Promise<ProfileDiff> =>
      t.call('GET', `${profilesPath(tenant)}/${seg(name)}/diff`, { query: { from, to } }),
    /** The pull plan of a published version (default the newest), variables by name. */
    resolve: (
      tenant: string,
      name: string,
      options: { version?: string; variables?: Record<string, string | number | boolean> } = {},
    ): Promise<ProfilePlan> => {
      const query: Query = { version: options.version };
      for (const [k, v] of Object.entries(options.variables ?? {})) query[`var.${k}`] = String(v);
      return t.call('GET', `${profilesPath(tenant)}/${seg(name)}/resolve`, { query });
    },
  };
  return api;
}
