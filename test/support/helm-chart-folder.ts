import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import yaml from 'js-yaml';
import type { Helm } from './kube-tools.js';

/** What a test chart's Chart.yaml says; the rest of the folder is the smallest chart helm accepts. */
export interface ChartFolderSpec {
  name: string;
  version: string;
  appVersion?: string;
  description?: string;
  deprecated?: boolean;
  keywords?: string[];
}

/**
 * Writes a chart folder (apiVersion v2, a values.yaml and one template) for the real `helm package`.
 * Chart.yaml is written with js-yaml, so descriptions with any Unicode arrive exactly as given.
 */
export async function writeChartFolder(parent: string, spec: ChartFolderSpec): Promise<string> {
  const dir = join(parent, `${spec.name}-${spec.version}`, spec.name);
  await mkdir(join(dir, 'templates'), { recursive: true });
  const chart: Record<string, unknown> = {
    apiVersion: 'v2',
    name: spec.name,
    version: spec.version,
    type: 'application',
  };
  if (spec.description !== undefined) chart.description = spec.description;
  if (spec.appVersion !== undefined) chart.appVersion = spec.appVersion;
  if (spec.deprecated !== undefined) chart.deprecated = spec.deprecated;
  if (spec.keywords !== undefined) chart.keywords = spec.keywords;
  await writeFile(join(dir, 'Chart.yaml'), yaml.dump(chart, { lineWidth: -1 }));
  await writeFile(join(dir, 'values.yaml'), 'replicaCount: 1\n');
  await writeFile(
    join(dir, 'templates', 'configmap.yaml'),
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  replicas: "{{ .Values.replicaCount }}"\n',
  );
  return dir;
}

/**
 * The real `helm package` of a chart written by {@link writeChartFolder} under `srcDir`; answers the
 * path of the .tgz it wrote in `outDir`.
 */
export async function helmPackage(
  helm: Helm,
  spec: ChartFolderSpec,
  dirs: { srcDir: string; outDir: string },
): Promise<string> {
  const dir = await writeChartFolder(dirs.srcDir, spec);
  await helm.ok(['package', dir, '--destination', dirs.outDir]);
  return join(dirs.outDir, `${spec.name}-${spec.version}.tgz`);
}
