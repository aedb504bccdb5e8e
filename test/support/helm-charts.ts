import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Helm } from './kube-tools.js';
import type { ToolRun } from './skopeo.js';

/*
 * Small helpers for the tests that drive the real helm binaries against Charthouse: a chart folder as
 * `helm create` users keep one (Chart.yaml, values.yaml, one template), and `helm registry login` the
 * way a careful user runs it (the secret on stdin, never on the command line).
 */

export interface ChartFolder {
  name: string;
  version: string;
  /** values.yaml's `greeting`, rendered into the ConfigMap: change it to get other content. */
  greeting?: string;
}

/** Writes `<parent>/<name>/` with Chart.yaml, values.yaml and templates/configmap.yaml; returns the folder. */
export async function writeChartFolder(parent: string, chart: ChartFolder): Promise<string> {
  const dir = join(parent, chart.name);
  await mkdir(join(dir, 'templates'), { recursive: true });
  await writeFile(
    join(dir, 'Chart.yaml'),
    `apiVersion: v2\nname: ${chart.name}\nversion: ${chart.version}\nappVersion: "2.4"\n` +
      `description: The ${chart.name} chart, packaged by the real helm\n`,
  );
  await writeFile(
    join(dir, 'values.yaml'),
    `# The greeting the ConfigMap carries.\ngreeting: ${chart.greeting ?? 'hello'}\n`,
  );
  await writeFile(
    join(dir, 'templates', 'configmap.yaml'),
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-greeting\n' +
      'data:\n  greeting: {{ .Values.greeting | quote }}\n',
  );
  return dir;
}

/** `helm registry login HOST -u USER --password-stdin` over plain HTTP (the flag differs by major). */
export function helmRegistryLogin(
  helm: Helm,
  host: string,
  username: string,
  secret: string,
): Promise<ToolRun> {
  return helm.run(['registry', 'login', host, '-u', username, '--password-stdin', helm.loginPlainHttpFlag], {
    stdin: secret,
  });
}
