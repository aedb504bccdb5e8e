import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getTlsFixtures } from '../tls-fixtures.js';
import { KubeHttpFront, type HangRule, type InterceptRule, type LoggedRequest } from './http-server.js';
import { kubeconfigFor } from './kubeconfig.js';
import { ObjectStore, type KubeObject } from './object-store.js';
import { findByKind, resolveResource } from './resources.js';
import { applyDefaults, ResourceApi } from './rest.js';
import { parseFieldSelector, parseLabelSelector } from './selectors.js';
import { makeUser, type KubeUser, type KubeUserOptions } from './users.js';

/*
 * A Kubernetes API server for tests, in process, that the real helm 3.17 / 4.1, kubectl 1.32 / 1.33
 * and @kubernetes/client-node accept (no real kube-apiserver can run here: research/kubernetes.md §2).
 *
 * Supports:
 * - HTTPS with the test CA (tls-fixtures.ts) in the kubeconfig; bearer tokens (401 without one) and
 *   per-user namespace/verb limits answering 403 Forbidden Status objects (users.ts).
 * - /version, legacy discovery (/api, /apis, /api/v1, /apis/{g}/{v}), /openapi/v3 with one document
 *   per group-version, enough for Helm 4's server-side apply and kubectl's `fieldValidation=Strict`.
 * - The types of resources.ts (one line adds one), namespaced and cluster-scoped: list (per namespace
 *   and across all; labelSelector, fieldSelector on metadata.name / metadata.namespace / a Secret's
 *   type, limit + continue + remainingItemCount, 410 Expired after expireContinueTokens(), list
 *   resourceVersion), get, create (409 AlreadyExists, generateName, 404 when the namespace is
 *   missing), update (409 Conflict on a stale resourceVersion), patch (apply, merge, strategic merge,
 *   json patch: see patch.ts), delete (preconditions, dryRun), the `status` subresource.
 * - JSON, YAML and protobuf request bodies (protobuf.ts: Secret, ConfigMap, Namespace, DeleteOptions);
 *   JSON answers, or a meta.k8s.io Table when kubectl asks for one.
 * - A log of every request (with its raw body) and direct access to the store for seeding and checks.
 * - Misbehaviour on demand: hang() holds requests unanswered, intercept() replaces answers (a 500, a
 *   403 on one path, a list whose continue token never ends).
 *
 * Approximates: strategic merge and server-side apply (patch.ts: merge keys by field name, no
 * conflicts between field managers); managedFields of Update operations list every field sent;
 * deleting a namespace removes it and its contents at once (no Terminating phase); no defaulting
 * beyond a Secret's type/stringData and a Namespace's phase; no controllers (a Deployment never gets
 * a status or Pods).
 * Does not serve: watches (405, so `helm --wait` is unsupported), aggregated discovery, deletecollection,
 * protobuf answers, other subresources (scale, log, exec).
 */

export type { KubeObject } from './object-store.js';
export type { InterceptedReply, InterceptRule, LoggedRequest } from './http-server.js';
export type { KubeUserOptions, Verb } from './users.js';
export { decodeHelmRelease, helmReleaseJson, helmReleaseSecret, releaseChart } from './helm-release.js';

export interface KubeClusterOptions {
  /** Users besides the built-in cluster admin (`admin`, no limits). */
  users?: KubeUserOptions[];
  /** Objects stored at start, after the default/kube-system/kube-public namespaces (see `seed`). */
  objects?: KubeObject[];
}

export interface KubeClusterUser {
  name: string;
  token: string;
  /** A kubeconfig YAML naming this user as the current context. */
  kubeconfig: string;
  kubeconfigPath: string;
}

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

export interface KubeCluster {
  url: string;
  caPem: string;
  /** The cluster admin's token, kubeconfig (YAML) and the file it was written to. */
  token: string;
  kubeconfig: string;
  kubeconfigPath: string;
  admin: KubeClusterUser;
  /**
   * A temporary folder (removed by close) holding the kubeconfig files, to use as kubectl's HOME:
   * without one, kubectl writes its discovery cache to `./.kube` of the working directory.
   */
  home: string;
  addUser(options: KubeUserOptions): Promise<KubeClusterUser>;
  /** A user added at start or by addUser, by name. */
  user(name: string): KubeClusterUser;
  /**
   * Stores raw objects as they are (create or replace, no admission checks), filling uid,
   * resourceVersion and creationTimestamp; a missing namespace is created and a namespaced object
   * without one goes to `default`. Returns the stored objects.
   */
  seed(...objects: KubeObject[]): KubeObject[];
  /** `resource` is `secrets`, `deployments.apps`, a short name or a kind. */
  get(resource: string, namespace: string | undefined, name: string): KubeObject | undefined;
  list(resource: string, options?: ListOptions): KubeObject[];
  delete(resource: string, namespace: string | undefined, name: string): boolean;
  /** Compacts the store, so every continue token handed out so far answers 410 Expired. */
  expireContinueTokens(): void;
  /** Every request served, oldest first, with its raw body. */
  readonly requests: LoggedRequest[];
  /**
   * Holds every request matching `match` unanswered until `release()` (or close), so a test can kill a
   * client mid-operation: `arrived` resolves when the first one comes in. A request whose client went
   * away while held is dropped, unserved.
   */
  hang(match: (request: { method: string; path: string }) => boolean): Hang;
  /**
   * Replaces answers: `rule` sees each request (path, query, user...) and the reply the cluster would
   * send, and returns another ({status, body}) or undefined. Returns the function that removes it.
   */
  intercept(rule: InterceptRule): () => void;
  close(): Promise<void>;
}

export interface Hang {
  arrived: Promise<void>;
  release(): void;
}

const DEFAULT_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export async function startKubeCluster(options: KubeClusterOptions = {}): Promise<KubeCluster> {
  const tls = getTlsFixtures();
  const store = new ObjectStore();
  const users: KubeUser[] = [];
  const requests: LoggedRequest[] = [];
  const hangs: HangRule[] = [];
  const intercepts: InterceptRule[] = [];
  const front = new KubeHttpFront({
    hangs,
    intercepts,
    api: new ResourceApi(store),
    users: () => users,
    tls: { key: tls.serverKeyPem, cert: tls.serverCertPem },
    log: requests,
  });
  const url = await front.listen();
  const dir = await mkdtemp(join(tmpdir(), 'charthouse-kube-'));

  const handles = new Map<string, KubeClusterUser>();
  const addUser = async (opts: KubeUserOptions): Promise<KubeClusterUser> => {
    if (users.some((u) => u.name === opts.name))
      throw new Error(`the test cluster already has a user "${opts.name}"`);
    const user = makeUser(opts);
    users.push(user);
    const kubeconfig = kubeconfigFor(url, tls.caCertPem, user);
    const kubeconfigPath = join(dir, `kubeconfig-${user.name.replace(/[^A-Za-z0-9_.-]/g, '_')}`);
    await writeFile(kubeconfigPath, kubeconfig, { mode: 0o600 });
    const handle = { name: user.name, token: user.token, kubeconfig, kubeconfigPath };
    handles.set(user.name, handle);
    return handle;
  };

  const namespaces = resolveResource('namespaces');
  const seed = (...objects: KubeObject[]): KubeObject[] =>
    objects.map((raw) => {
      const type = findByKind(raw.apiVersion, raw.kind);
      if (!type)
        throw new Error(`the test cluster serves no ${raw.apiVersion} ${raw.kind}: add it to resources.ts`);
      const object = structuredClone(raw);
      object.metadata ??= {};
      if (type.namespaced) {
        const namespace = (object.metadata.namespace ??= 'default');
        if (!store.get(namespaces, undefined, namespace)) {
          seed({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
        }
      }
      applyDefaults(object);
      return store.write(type, object);
    });

  seed(...DEFAULT_NAMESPACES.map((name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } })));
  seed(...(options.objects ?? []));
  const admin = await addUser({ name: 'admin' });
  for (const user of options.users ?? []) await addUser(user);

  return {
    url,
    caPem: tls.caCertPem,
    token: admin.token,
    kubeconfig: admin.kubeconfig,
    kubeconfigPath: admin.kubeconfigPath,
    admin,
    home: dir,
    addUser,
    user: (name) => {
      const handle = handles.get(name);
      if (!handle)
        throw new Error(`the test cluster has no user "${name}" (users: ${[...handles.keys()].join(', ')})`);
      return handle;
    },
    seed,
    get: (resource, namespace, name) => store.get(resolveResource(resource), namespace, name),
    list: (resource, opts = {}) => {
      const type = resolveResource(resource);
      const labels = parseLabelSelector(opts.labelSelector);
      const fields = parseFieldSelector(opts.fieldSelector, ['metadata.name', 'metadata.namespace']);
      return store
        .list(type, opts.namespace !== undefined ? { namespace: opts.namespace } : {})
        .map((i) => i.object)
        .filter((o) => labels(o.metadata.labels ?? {}))
        .filter((o) =>
          fields({
            'metadata.name': o.metadata.name ?? '',
            'metadata.namespace': o.metadata.namespace ?? '',
          }),
        );
    },
    delete: (resource, namespace, name) =>
      store.delete(resolveResource(resource), namespace, name) !== undefined,
    expireContinueTokens: () => store.compact(),
    requests,
    hang: (match) => {
      let arrived!: () => void;
      let released!: () => void;
      const rule: HangRule = {
        match,
        arrived: () => arrived(),
        released: new Promise<void>((resolve) => (released = resolve)),
        release: () => {
          if (hangs.includes(rule)) hangs.splice(hangs.indexOf(rule), 1);
          released();
        },
      };
      hangs.push(rule);
      return { arrived: new Promise<void>((resolve) => (arrived = resolve)), release: rule.release };
    },
    intercept: (rule) => {
      intercepts.push(rule);
      return () => {
        if (intercepts.includes(rule)) intercepts.splice(intercepts.indexOf(rule), 1);
      };
    },
    close: async () => {
      for (const rule of [...hangs]) rule.release();
      await front.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
