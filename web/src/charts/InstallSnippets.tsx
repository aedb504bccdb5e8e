import type { ChartVersionDetail, RegistryView } from '../../../src/client/api-client.js';
import { useMe } from '../app/me';
import { CommandBlock } from '../hosted/CommandBlock';
import { useHosted } from '../hosted/hosted-queries';
import { useRegistries } from '../registries/registry-queries';
import { CopyText } from '../ui/CopyText';
import { Loading } from '../ui/Loading';
import { chartSnippets, type ChartSource } from './chart-snippets';

/**
 * How to install or pull the version shown, with the real URLs (as Artifact Hub and Kubeapps show
 * them): Charthouse's own for hosted charts, the upstream's for synced ones. Protected registries
 * have no catalog, so no chart page and nothing here.
 */
export function InstallSnippets({ tenant, detail }: { tenant: string; detail: ChartVersionDetail }) {
  const me = useMe();
  const registries = useRegistries({ tenant });
  const hostedScope = detail.registry.scope === 'system' ? 'system' : tenant;
  const isHosted = detail.registry.kind === 'hosted';
  const hosted = useHosted(hostedScope, isHosted);
  // The registry by name in the chart's scope: a tenant registry may share a system one's name.
  const registry = registries.data?.find(
    (r) => r.name === detail.registry.name && r.scope === detail.registry.scope,
  );
  const username = me.data?.username;

  let source: ChartSource | null = null;
  if (isHosted) {
    if (hosted.data && username !== undefined) {
      source = {
        kind: 'hosted',
        repoName: detail.registry.scope === 'system' ? detail.registry.name : hosted.data.tenant,
        urls: hosted.data.urls,
        username,
      };
    }
  } else if (registry && !registry.protected) {
    source = upstreamSource(registry, detail);
  }

  return (
    <section aria-label="Install" className="install-snippets">
      <h2>Install</h2>
      {source === null ? (
        hosted.isError || registries.isError ? (
          <p className="empty">The registry&rsquo;s address could not be loaded.</p>
        ) : (
          <Loading label="Loading the install commands…" />
        )
      ) : (
        <Snippets source={source} name={detail.name} version={detail.version} />
      )}
    </section>
  );
}

function Snippets({ source, name, version }: { source: ChartSource; name: string; version: string }) {
  const { steps, ociReference } = chartSnippets(source, name, version);
  return (
    <>
      {ociReference !== undefined && <CopyText label="OCI reference" text={ociReference} />}
      <ol className="commands">
        {steps.map((step) => (
          <CommandBlock key={step.id} step={step} />
        ))}
      </ol>
    </>
  );
}

function upstreamSource(registry: RegistryView, detail: ChartVersionDetail): ChartSource | null {
  const username = registry.auth.type === 'basic' ? registry.auth.username : undefined;
  if (registry.kind === 'helm') {
    return { kind: 'helm', repoName: registry.name, url: registry.endpoint, username };
  }
  // The sync recorded each OCI version's repository as `oci://host/path/chart`.
  const reference = detail.chartUrl?.startsWith('oci://')
    ? detail.chartUrl
    : `${registry.endpoint.replace(/\/+$/, '')}/${detail.name}`;
  return { kind: 'oci', reference, plainHttp: registry.plainHttp, username };
}
