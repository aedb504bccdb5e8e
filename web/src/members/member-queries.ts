export const membersQueryKey = (tenant: string) => ['members', tenant] as const;
