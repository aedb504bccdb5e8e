import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type {
  ProfileCreateBody,
  VersionCreateBody,
  VersionSpecBody,
} from '../../../src/client/api-client.js';
import { useApi } from '../app/session';

/** Every profile query of a tenant: a write refreshes the list, the profile and its versions at once. */
const profilesKey = (tenant: string) => ['profiles', tenant] as const;
const profileKey = (tenant: string, name: string) => [...profilesKey(tenant), name] as const;
const versionKey = (tenant: string, name: string, version: string) =>
  [...profileKey(tenant, name), 'version', version] as const;

export function useProfiles(tenant: string) {
  const api = useApi();
  return useQuery({
    queryKey: [...profilesKey(tenant), 'list'],
    queryFn: () => api.profiles.listAll(tenant),
  });
}

export function useProfile(tenant: string, name: string) {
  const api = useApi();
  return useQuery({
    queryKey: [...profileKey(tenant, name), 'detail'],
    queryFn: () => api.profiles.get(tenant, name),
  });
}

export function useProfileVersion(tenant: string, name: string, version: string) {
  const api = useApi();
  return useQuery({
    queryKey: versionKey(tenant, name, version),
    queryFn: () => api.profiles.version(tenant, name, version),
  });
}

export function useProfileDiff(tenant: string, name: string, from: string, to: string) {
  const api = useApi();
  return useQuery({
    queryKey: [...profileKey(tenant, name), 'diff', from, to],
    queryFn: () => api.profiles.diff(tenant, name, from, to),
    enabled: from !== '' && to !== '',
  });
}

function useInvalidateProfiles(tenant: string) {
  const queryClient = useQueryClient();
  return () => queryClient.invalidateQueries({ queryKey: profilesKey(tenant) });
}

export function useCreateProfile(tenant: string) {
  const api = useApi();
  const invalidate = useInvalidateProfiles(tenant);
  return useMutation({
    mutationFn: (body: ProfileCreateBody) => api.profiles.create(tenant, body),
    onSettled: invalidate,
  });
}

export function useRemoveProfile(tenant: string) {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (name: string) => api.profiles.remove(tenant, name),
    // The deleted profile's own queries would 404 if refetched: drop them, refresh the list.
    onSuccess: (_, name) => queryClient.removeQueries({ queryKey: profileKey(tenant, name) }),
    onSettled: () => queryClient.invalidateQueries({ queryKey: [...profilesKey(tenant), 'list'] }),
  });
}

export function useCreateVersion(tenant: string, name: string) {
  const api = useApi();
  const invalidate = useInvalidateProfiles(tenant);
  return useMutation({
    mutationFn: (body: VersionCreateBody) => api.profiles.createVersion(tenant, name, body),
    onSettled: invalidate,
  });
}

export function useRemoveVersion(tenant: string, name: string) {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (version: string) => api.profiles.removeVersion(tenant, name, version),
    onSuccess: (_, version) => queryClient.removeQueries({ queryKey: versionKey(tenant, name, version) }),
    onSettled: () => queryClient.invalidateQueries({ queryKey: profilesKey(tenant) }),
  });
}

/** Save the draft: the whole version replaces what it held. */
export function useSaveVersion(tenant: string, name: string, version: string) {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: VersionSpecBody) => api.profiles.updateVersion(tenant, name, version, body),
    onSuccess: (view) => queryClient.setQueryData(versionKey(tenant, name, version), view),
    onSettled: () => queryClient.invalidateQueries({ queryKey: profilesKey(tenant) }),
  });
}

export function usePublishVersion(tenant: string, name: string, version: string) {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => api.profiles.publish(tenant, name, version),
    onSuccess: (view) => queryClient.setQueryData(versionKey(tenant, name, version), view),
    onSettled: () => queryClient.invalidateQueries({ queryKey: profilesKey(tenant) }),
  });
}
