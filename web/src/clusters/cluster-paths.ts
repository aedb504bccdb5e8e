/** Console addresses of the cluster screens; every segment is encoded. */
const seg = encodeURIComponent;

export const clustersPath = (tenant: string): string => `/t/${seg(tenant)}/clusters`;
/** "_new" is never a cluster name (a DNS label): the register page cannot hide a cluster. */
export const newClusterPath = (tenant: string): string => `${clustersPath(tenant)}/_new`;
export const clusterPath = (tenant: string, name: string): string => `${clustersPath(tenant)}/${seg(name)}`;
