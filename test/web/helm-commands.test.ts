import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HostedUrls } from '../../src/client/api-client.js';
import { chartSnippets } from '../../web/src/charts/chart-snippets.js';
import {
  exampleRelease,
  ociTag,
  registryLogin,
  repoAdd,
  versionedReference,
} from '../../web/src/helm/helm-commands.js';
import { buildInstructions } from '../../web/src/hosted/instructions.js';

/** The one module every helm command of the console comes from, and the chart pages' snippets. */

const httpUrls: HostedUrls = {
  repository: 'http://127.0.0.1:8080/helm/acme',
  chartmuseumApi: 'http://127.0.0.1:8080/helm/acme/api/charts',
  ociHost: '127.0.0.1:8080',
  ociNamespace: '127.0.0.1:8080/acme',
  plainHttp: true,
};
const httpsUrls: HostedUrls = {
  repository: 'https://charts.example.com/base/helm/acme',
  chartmuseumApi: 'https://charts.example.com/base/helm/acme/api/charts',
  ociHost: 'charts.example.com',
  ociNamespace: 'charts.example.com/acme',
  plainHttp: false,
};
const byId = (steps: { id: string; command: string }[]) =>
  Object.fromEntries(steps.map((s) => [s.id, s.command]));

describe('helm commands', () => {
  it('signs in with one command over HTTPS and one per Helm major over plain HTTP', () => {
    assert.deepEqual(registryLogin('charts.example.com', 'alice', false), [
      {
        command:
          'echo "$CHARTHOUSE_TOKEN" | helm registry login charts.example.com --username alice --password-stdin',
      },
    ]);
    assert.deepEqual(
      registryLogin('127.0.0.1:8080', 'alice', true).map((c) => [c.helm, c.command.split(' ').at(-1)]),
      [
        [3, '--insecure'],
        [4, '--plain-http'],
      ],
    );
  });

  it('never puts a secret on the command line', () => {
    const every = [
      ...buildInstructions({ tenant: 'acme', urls: httpUrls, username: 'alice', publicRead: false }),
      ...chartSnippets(
        { kind: 'hosted', repoName: 'acme', urls: httpsUrls, username: 'alice' },
        'web',
        '1.0.0',
      ).steps,
      ...chartSnippets(
        { kind: 'helm', repoName: 'up', url: 'https://u.example/c', username: 'bob' },
        'x',
        '1.0.0',
      ).steps,
      ...chartSnippets(
        { kind: 'oci', reference: 'oci://r.example/c/x', plainHttp: true, username: 'b' },
        'x',
        '1',
      ).steps,
    ];
    for (const step of every) {
      assert.doesNotMatch(step.command, /--password(?!-stdin)/, step.id);
      for (const line of step.command.split('\n')) {
        if (line.includes('--username'))
          assert.match(line, /^echo "\$CHARTHOUSE_TOKEN" \| .* --password-stdin/);
      }
    }
    assert.equal(repoAdd('up', 'https://u.example/c'), 'helm repo add up https://u.example/c');
  });

  it('writes + as _ in OCI tags, as helm does', () => {
    assert.equal(ociTag('1.2.3+build.7'), '1.2.3_build.7');
    assert.equal(versionedReference('oci://h:5000/acme/web', '1.0.0+a'), 'h:5000/acme/web:1.0.0_a');
    assert.equal(exampleRelease('web'), 'my-web');
    assert.equal(exampleRelease('x'.repeat(60)).length, 53);
  });
});

describe('chart page snippets', () => {
  it('gives a hosted chart Charthouse’s own repository and OCI references', () => {
    const { steps, ociReference } = chartSnippets(
      { kind: 'hosted', repoName: 'acme', urls: httpUrls, username: 'alice' },
      'webapp',
      '1.2.0+b.1',
    );
    assert.equal(ociReference, '127.0.0.1:8080/acme/webapp:1.2.0_b.1');
    assert.deepEqual(byId(steps), {
      'repo-install':
        'echo "$CHARTHOUSE_TOKEN" | helm repo add acme http://127.0.0.1:8080/helm/acme --username alice --password-stdin\n' +
        'helm install my-webapp acme/webapp --version 1.2.0+b.1',
      'oci-login-helm3':
        'echo "$CHARTHOUSE_TOKEN" | helm registry login 127.0.0.1:8080 --username alice --password-stdin --insecure',
      'oci-login-helm4':
        'echo "$CHARTHOUSE_TOKEN" | helm registry login 127.0.0.1:8080 --username alice --password-stdin --plain-http',
      'oci-install':
        'helm install my-webapp oci://127.0.0.1:8080/acme/webapp --version 1.2.0+b.1 --plain-http',
      'oci-pull': 'helm pull oci://127.0.0.1:8080/acme/webapp --version 1.2.0+b.1 --plain-http',
    });
    const https = byId(
      chartSnippets({ kind: 'hosted', repoName: 'acme', urls: httpsUrls, username: 'a' }, 'w', '1.0.0').steps,
    );
    assert.match(
      https['repo-install']!,
      /helm repo add acme https:\/\/charts\.example\.com\/base\/helm\/acme /,
    );
    assert.equal(https['oci-install'], 'helm install my-w oci://charts.example.com/acme/w --version 1.0.0');
    assert.ok(https['oci-login'] && !https['oci-login-helm4']);
  });

  it('gives a synced chart its upstream: the classic URL, or the OCI reference', () => {
    assert.deepEqual(
      byId(
        chartSnippets(
          { kind: 'helm', repoName: 'bitnami', url: 'https://charts.bitnami.com/bitnami' },
          'nginx',
          '15.0.0',
        ).steps,
      ),
      {
        'repo-install':
          'helm repo add bitnami https://charts.bitnami.com/bitnami\nhelm install my-nginx bitnami/nginx --version 15.0.0',
      },
    );
    const oci = chartSnippets(
      { kind: 'oci', reference: 'oci://registry-1.docker.io/bitnamicharts/nginx', plainHttp: false },
      'nginx',
      '15.0.0',
    );
    assert.equal(oci.ociReference, 'registry-1.docker.io/bitnamicharts/nginx:15.0.0');
    assert.deepEqual(byId(oci.steps), {
      'oci-install': 'helm install my-nginx oci://registry-1.docker.io/bitnamicharts/nginx --version 15.0.0',
      'oci-pull': 'helm pull oci://registry-1.docker.io/bitnamicharts/nginx --version 15.0.0',
    });
  });
});
