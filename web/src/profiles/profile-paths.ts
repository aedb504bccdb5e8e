/** Console addresses of the profile screens; every segment is encoded. */
const seg = encodeURIComponent;

export const profilesPath = (tenant: string): string => `/t/${seg(tenant)}/profiles`;
export const profilePath = (tenant: string, name: string): string => `${profilesPath(tenant)}/${seg(name)}`;
export const versionPath = (tenant: string, name: string, version: string): string =>
  `${profilePath(tenant, name)}/versions/${seg(version)}`;
export const diffPath = (tenant: string, name: string, from: string, to: string): string =>
  `${profilePath(tenant, name)}/diff?${new URLSearchParams({ from, to }).toString()}`;
