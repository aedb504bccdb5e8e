import type { ErrorDetail } from '../shared/errors.js';
import { shownName } from '../shared/text.js';

/*
 * The form of a profile version's layers (SPEC §2 "Cluster profiles"), checked before anything looks at
 * a registry or the catalog: names, release names, namespaces, dependsOn and install order. Pure: the
 * service adds what needs storage (registries, catalog, schemas).
 */

/** A layer with its defaults applied, as stored in a version's spec. */
export interface LayerSpec {
  name: string;
  registry: string;
  chart: string;
  version: string | null;
  versionConstraint: string | null;
  releaseName: string;
  namespace: string;
  createNamespace: boolean;
  values: string;
  dependsOn: string[];
}

/** Kubernetes' DNS-1123 label (a namespace, a layer's id). */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const MAX_LABEL = 63;
/**
 * Helm's release name limit: 53 characters, so the `sh.helm.release.v1.<name>.v<N>` Secret and names
 * charts derive from it still fit Kubernetes' limits. SPEC §2 takes the DNS-1123 label part of Helm's
 * rule (Helm also allows dots): a release name is a label here, because charts use it as a label value
 * and a Service name, where a dot breaks.
 */
export const MAX_RELEASE_NAME = 53;

export function labelProblem(value: string, max: number): string | null {
  if (value.length > max) return `at most ${max} characters (it has ${value.length})`;
  if (!DNS_LABEL.test(value)) {
    return 'a DNS-1123 label: lowercase letters, digits and "-", starting and ending with a letter or digit';
  }
  return null;
}

/** Field path of a layer's field in error details, e.g. `layers[2].releaseName`. */
export const layerField = (index: number, field: string): string => `layers[${index}].${field}`;

/** How a layer is named in messages: by its name where it has a usable one, else by its position. */
export const layerLabel = (layer: { name: string }, index: number): string =>
  DNS_LABEL.test(layer.name) && layer.name.length <= MAX_LABEL
    ? `Layer "${layer.name}"`
    : `Layer ${index + 1}`;

/**
 * Every form problem of a version's layers, each naming the layer and field: bad names, duplicate layer
 * names, two layers installing one release into one namespace, unknown or cyclic dependsOn.
 */
export function layerFormProblems(layers: readonly LayerSpec[]): ErrorDetail[] {
  const problems: ErrorDetail[] = [];
  const add = (index: number, field: string, message: string): void => {
    problems.push({
      field: layerField(index, field),
      message: `${layerLabel(layers[index]!, index)}: ${message}`,
    });
  };
  const firstByName = new Map<string, number>();
  const firstByRelease = new Map<string, number>();
  layers.forEach((layer, i) => {
    const nameProblem = labelProblem(layer.name, MAX_LABEL);
    if (nameProblem) add(i, 'name', `name ${shownName(layer.name)} must be ${nameProblem}.`);
    const seen = firstByName.get(layer.name);
    if (seen === undefined) firstByName.set(layer.name, i);
    else
      add(
        i,
        'name',
        `the name is used by layer ${seen + 1} already; layer names are unique within a version.`,
      );
    const releaseProblem = labelProblem(layer.releaseName, MAX_RELEASE_NAME);
    if (releaseProblem) {
      add(i, 'releaseName', `release name ${shownName(layer.releaseName)} must be ${releaseProblem}.`);
    }
    const namespaceProblem = labelProblem(layer.namespace, MAX_LABEL);
    if (namespaceProblem)
      add(i, 'namespace', `namespace ${shownName(layer.namespace)} must be ${namespaceProblem}.`);
    const release = `${layer.namespace}/${layer.releaseName}`;
    const other = firstByRelease.get(release);
    if (other === undefined) firstByRelease.set(release, i);
    else {
      add(
        i,
        'releaseName',
        `release "${layer.releaseName}" in namespace "${layer.namespace}" is installed by ${layerLabel(layers[other]!, other)} already: give one of them another release name or namespace.`,
      );
    }
  });
  layers.forEach((layer, i) => {
    const seenHere = new Set<string>();
    for (const dep of layer.dependsOn) {
      if (seenHere.has(dep)) add(i, 'dependsOn', `dependsOn names ${shownName(dep)} twice.`);
      seenHere.add(dep);
      if (dep === layer.name) add(i, 'dependsOn', 'a layer cannot depend on itself.');
      else if (!firstByName.has(dep))
        add(i, 'dependsOn', `dependsOn names ${shownName(dep)}, which is no layer of this version.`);
    }
  });
  const cycle = findCycle(layers);
  if (cycle) {
    const index = layers.findIndex((l) => l.name === cycle[0]);
    add(
      index,
      'dependsOn',
      `dependsOn forms a cycle: ${cycle.join(' → ')}. Remove one of these dependencies.`,
    );
  }
  return problems;
}

/** One dependency cycle as layer names (first repeated at the end), or null. Unknown names are ignored. */
export function findCycle(layers: readonly LayerSpec[]): string[] | null {
  const deps = new Map(layers.map((l) => [l.name, l.dependsOn.filter((d) => d !== l.name)]));
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (name: string): string[] | null => {
    const s = state.get(name);
    if (s === 'done') return null;
    if (s === 'open') return [...path.slice(path.indexOf(name)), name];
    state.set(name, 'open');
    path.push(name);
    for (const dep of deps.get(name) ?? []) {
      if (!deps.has(dep)) continue;
      const found = visit(dep);
      if (found) return found;
    }
    path.pop();
    state.set(name, 'done');
    return null;
  };
  for (const layer of layers) {
    const found = visit(layer.name);
    if (found) return found;
  }
  return null;
}

/**
 * Install order: a layer comes after every layer it depends on; among the layers ready at each step,
 * the one listed first goes first. Call only on layers without cycles (layerFormProblems checks).
 */
export function installOrder(layers: readonly LayerSpec[]): string[] {
  const names = new Set(layers.map((l) => l.name));
  const done = new Set<string>();
  const order: string[] = [];
  while (order.length < layers.length) {
    const next = layers.find(
      (l) => !done.has(l.name) && l.dependsOn.every((d) => done.has(d) || !names.has(d) || d === l.name),
    );
    // Only a cycle leaves nothing ready; callers check for cycles first. Keep the rest in listed order.
    if (!next) {
      for (const l of layers) if (!done.has(l.name)) order.push(l.name);
      break;
    }
    done.add(next.name);
    order.push(next.name);
  }
  return order;
}
