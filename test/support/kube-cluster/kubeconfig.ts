import yaml from 'js-yaml';
import type { KubeUser } from './users.js';

export const CLUSTER_NAME = 'charthouse-test';

/**
 * A kubeconfig for one user: the server URL, the CA as `certificate-authority-data` (so helm, kubectl
 * and client-node verify TLS, no `insecure-skip-tls-verify`) and the user's bearer token.
 */
export function kubeconfigFor(url: string, caPem: string, user: KubeUser, namespace = 'default'): string {
  const context = `${user.name}@${CLUSTER_NAME}`;
  return yaml.dump({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: CLUSTER_NAME,
        cluster: { server: url, 'certificate-authority-data': Buffer.from(caPem).toString('base64') },
      },
    ],
    users: [{ name: user.name, user: { token: user.token } }],
    contexts: [{ name: context, context: { cluster: CLUSTER_NAME, user: user.name, namespace } }],
    'current-context': context,
    preferences: {},
  });
}
