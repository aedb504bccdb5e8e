import type { HostedUrls } from '../../../src/client/api-client.js';
import {
  exampleRelease,
  ociInstall,
  ociPull,
  ociReference,
  repoAdd,
  repoInstall,
  SECRET_VARIABLE,
  versionedReference,
} from '../helm/helm-commands.js';
import { loginInstructions, type Instruction } from '../hosted/instructions.js';

/**
 * Where helm gets a chart that the catalog shows. Hosted charts come from Charthouse itself (the URLs
 * the server reports for the tenant's hosted registry); synced charts from their upstream, since the
 * catalog is a copy of its index and Charthouse does not proxy the archives.
 */
export type ChartSource =
  | { kind: 'hosted'; repoName: string; urls: HostedUrls; username: string }
  /** A classic upstream repository: its URL, and the username when it needs credentials. */
  | { kind: 'helm'; repoName: string; url: string; username?: string | undefined }
  /** An OCI upstream: the chart's own `oci://` reference. */
  | { kind: 'oci'; reference: string; plainHttp: boolean; username?: string | undefined };

export interface ChartSnippets {
  steps: Instruction[];
  /** `HOST/PATH/CHART:TAG` for charts in an OCI registry. */
  ociReference?: string;
}

/** The Artifact Hub / Kubeapps style install snippets for one chart version. */
export function chartSnippets(source: ChartSource, chart: string, version: string): ChartSnippets {
  const release = exampleRelease(chart);
  const secretNote = `${SECRET_VARIABLE} holds your password or an API token (charthouse token create).`;
  if (source.kind === 'helm') {
    return {
      steps: [
        {
          id: 'repo-install',
          title: 'Install from the Helm repository',
          command: [
            repoAdd(source.repoName, source.url, source.username),
            repoInstall(release, source.repoName, chart, version),
          ].join('\n'),
          note:
            source.username === undefined
              ? undefined
              : `${SECRET_VARIABLE} holds the password of ${source.username} at this repository.`,
        },
      ],
    };
  }
  if (source.kind === 'oci') {
    const host = new URL(source.reference.replace(/^oci:/, 'http:')).host;
    return {
      steps: [
        ...(source.username === undefined ? [] : loginInstructions(host, source.username, source.plainHttp)),
        ...ociSteps(release, source.reference, version, source.plainHttp),
      ],
      ociReference: versionedReference(source.reference, version),
    };
  }
  const { urls, username, repoName } = source;
  const reference = ociReference(urls.ociNamespace, chart);
  return {
    steps: [
      {
        id: 'repo-install',
        title: 'Install from the Helm repository',
        command: [
          repoAdd(repoName, urls.repository, username),
          repoInstall(release, repoName, chart, version),
        ].join('\n'),
        note: secretNote,
      },
      ...loginInstructions(urls.ociHost, username, urls.plainHttp),
      ...ociSteps(release, reference, version, urls.plainHttp),
    ],
    ociReference: versionedReference(reference, version),
  };
}

function ociSteps(release: string, reference: string, version: string, plainHttp: boolean): Instruction[] {
  return [
    {
      id: 'oci-install',
      title: 'Install over OCI',
      command: ociInstall(release, reference, version, plainHttp),
    },
    { id: 'oci-pull', title: 'Pull over OCI', command: ociPull(reference, version, plainHttp) },
  ];
}
