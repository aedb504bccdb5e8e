import { qualifiedName, type ResourceType } from './resources.js';

/*
 * metav1.Status failures as the real API server writes them: clients branch on `reason` and `code`
 * (client-go's errors.IsNotFound, IsConflict, IsAlreadyExists, IsResourceExpired...), and users read
 * `message`, so both follow kube-apiserver's wording.
 */

export type StatusReason =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Gone'
  | 'Expired'
  | 'Invalid'
  | 'MethodNotAllowed'
  | 'NotAcceptable'
  | 'UnsupportedMediaType'
  | 'InternalError';

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
}

export interface KubeStatus {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message?: string;
  reason?: StatusReason;
  details?: StatusDetails;
  code: number;
}

export class KubeApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: StatusReason,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
  }

  toStatus(): KubeStatus {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }
}

function detailsOf(type: ResourceType, name: string): StatusDetails {
  return { name, ...(type.group ? { group: type.group } : {}), kind: type.plural };
}

export const errors = {
  badRequest: (message: string) => new KubeApiError(400, 'BadRequest', message),
  unauthorized: () => new KubeApiError(401, 'Unauthorized', 'Unauthorized'),
  forbidden: (user: string, verb: string, type: ResourceType, namespace: string | undefined, name?: string) =>
    new KubeApiError(
      403,
      'Forbidden',
      `${qualifiedName(type)}${name ? ` "${name}"` : ''} is forbidden: User "${user}" cannot ${verb} resource "${type.plural}" in API group "${type.group}" ${namespace ? `in the namespace "${namespace}"` : 'at the cluster scope'}`,
      { ...(name ? { name } : {}), ...(type.group ? { group: type.group } : {}), kind: type.plural },
    ),
  notFound: (type: ResourceType, name: string) =>
    new KubeApiError(404, 'NotFound', `${qualifiedName(type)} "${name}" not found`, detailsOf(type, name)),
  pathNotFound: () => new KubeApiError(404, 'NotFound', 'the server could not find the requested resource'),
  alreadyExists: (type: ResourceType, name: string) =>
    new KubeApiError(
      409,
      'AlreadyExists',
      `${qualifiedName(type)} "${name}" already exists`,
      detailsOf(type, name),
    ),
  conflict: (
    type: ResourceType,
    name: string,
    why = 'the object has been modified; please apply your changes to the latest version and try again',
  ) =>
    new KubeApiError(
      409,
      'Conflict',
      `Operation cannot be fulfilled on ${qualifiedName(type)} "${name}": ${why}`,
      detailsOf(type, name),
    ),
  expired: () =>
    new KubeApiError(
      410,
      'Expired',
      'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
    ),
  invalid: (type: ResourceType, name: string, causes: string) =>
    new KubeApiError(422, 'Invalid', `${type.kind} "${name}" is invalid: ${causes}`, {
      ...detailsOf(type, name),
      kind: type.kind,
    }),
  unprocessable: (message: string) => new KubeApiError(422, 'Invalid', message),
  methodNotAllowed: (message: string) => new KubeApiError(405, 'MethodNotAllowed', message),
  unsupportedMediaType: (message: string) => new KubeApiError(415, 'UnsupportedMediaType', message),
};

export function successStatus(type: ResourceType, name: string, uid: string): KubeStatus {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    details: { ...detailsOf(type, name), uid },
    code: 200,
  };
}
