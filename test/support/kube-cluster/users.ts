import { randomBytes } from 'node:crypto';
import type { ResourceType } from './resources.js';
import { errors } from './status.js';

/*
 * Bearer-token users and a small stand-in for RBAC. A user may be limited to some namespaces
 * (`namespaces`, like Roles bound in each) and/or kept out of some (`deniedNamespaces`), and to some
 * verbs. Requests at the cluster scope (cluster-scoped types such as Namespace, lists across all
 * namespaces) need a user without any namespace limit, as they need a ClusterRole on a real cluster.
 */

export type Verb = 'get' | 'list' | 'create' | 'update' | 'patch' | 'delete';

export interface KubeUserOptions {
  /** The RBAC user name, shown in 403 messages; also the kubeconfig user and context name. */
  name: string;
  /** Bearer token; random when omitted. */
  token?: string;
  /** Only these namespaces (default: all). */
  namespaces?: string[];
  /** Never these namespaces. */
  deniedNamespaces?: string[];
  /** Only these verbs (default: all). */
  verbs?: Verb[];
}

export interface KubeUser {
  name: string;
  token: string;
  namespaces?: readonly string[];
  deniedNamespaces: readonly string[];
  verbs?: readonly Verb[];
}

export function makeUser(options: KubeUserOptions): KubeUser {
  return {
    name: options.name,
    token: options.token ?? randomBytes(24).toString('base64url'),
    ...(options.namespaces ? { namespaces: [...options.namespaces] } : {}),
    deniedNamespaces: [...(options.deniedNamespaces ?? [])],
    ...(options.verbs ? { verbs: [...options.verbs] } : {}),
  };
}

function mayUseNamespace(user: KubeUser, namespace: string | undefined): boolean {
  if (namespace === undefined) return user.namespaces === undefined && user.deniedNamespaces.length === 0;
  return (user.namespaces?.includes(namespace) ?? true) && !user.deniedNamespaces.includes(namespace);
}

/** Throws the 403 Forbidden Status a real API server gives when RBAC says no. */
export function authorize(
  user: KubeUser,
  verb: Verb,
  type: ResourceType,
  namespace: string | undefined,
  name?: string,
): void {
  if (mayUseNamespace(user, namespace) && (user.verbs?.includes(verb) ?? true)) return;
  throw errors.forbidden(user.name, verb, type, namespace, name);
}
