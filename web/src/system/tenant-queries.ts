export const tenantsQueryKey = ['tenants'] as const;
