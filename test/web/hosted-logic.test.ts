import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError, type HostedUrls } from '../../src/client/api-client.js';
import { identityFromChartYaml, readChartIdentity } from '../../web/src/hosted/chart-file.js';

import {
  chartPagePath,
  checkChartFile,
  describeUploadError,
  identityFromFileName,
  MAX_UPLOAD_BYTES,
  uploadedText,
} from '../../web/src/hosted/hosted-format.js';
import { buildInstructions, shellQuote } from '../../web/src/hosted/instructions.js';
import { createTgz } from '../support/chart-archive.js';

/** The hosted registry screen's pure logic: helm commands, upload checks, messages, archive peeking. */

const httpsUrls: HostedUrls = {
  repository: 'https://charts.example.com/helm/acme',
  chartmuseumApi: 'https://charts.example.com/helm/acme/api/charts',
  ociHost: 'charts.example.com',
  ociNamespace: 'charts.example.com/acme',
  plainHttp: false,
};

const httpUrls: HostedUrls = {
  repository: 'http://127.0.0.1:8080/helm/acme',
  chartmuseumApi: 'http://127.0.0.1:8080/helm/acme/api/charts',
  ociHost: '127.0.0.1:8080',
  ociNamespace: '127.0.0.1:8080/acme',
  plainHttp: true,
};

const commands = (steps: { id: string; command: string }[]) =>
  Object.fromEntries(steps.map((s) => [s.id, s.command]));

describe('helm instructions', () => {
  it('builds every command from the reported URLs, the tenant and the signed-in user', () => {
    const steps = buildInstructions({
      tenant: 'acme',
      urls: httpsUrls,
      username: 'alice',
      publicRead: false,
    });
    assert.deepEqual(commands(steps), {
      'repo-add':
        'echo "$CHARTHOUSE_TOKEN" | helm repo add acme https://charts.example.com/helm/acme --username alice --password-stdin',
      'cm-push':
        'helm plugin install https://github.com/chartmuseum/helm-push\nhelm cm-push mychart-0.1.0.tgz acme',
      'repo-pull': 'helm repo update acme\nhelm pull acme/mychart --version 0.1.0',
      'oci-login':
        'echo "$CHARTHOUSE_TOKEN" | helm registry login charts.example.com --username alice --password-stdin',
      'oci-push': 'helm push mychart-0.1.0.tgz oci://charts.example.com/acme',
      'oci-pull': 'helm pull oci://charts.example.com/acme/mychart --version 0.1.0',
    });
    assert.ok(steps.every((s) => s.title.length > 0));
  });

  it('signs in per Helm major and adds --plain-http to OCI push and pull on a plain-http server', () => {
    const steps = commands(
      buildInstructions({
        tenant: 'acme',
        urls: httpUrls,
        username: 'alice',
        publicRead: false,
        chart: { name: 'webapp', version: '1.2.0' },
      }),
    );
    assert.equal(steps['oci-login'], undefined);
    assert.equal(
      steps['oci-login-helm3'],
      'echo "$CHARTHOUSE_TOKEN" | helm registry login 127.0.0.1:8080 --username alice --password-stdin --insecure',
    );
    assert.equal(
      steps['oci-login-helm4'],
      'echo "$CHARTHOUSE_TOKEN" | helm registry login 127.0.0.1:8080 --username alice --password-stdin --plain-http',
    );
    assert.equal(steps['oci-push'], 'helm push webapp-1.2.0.tgz oci://127.0.0.1:8080/acme --plain-http');
    assert.equal(
      steps['oci-pull'],
      'helm pull oci://127.0.0.1:8080/acme/webapp --version 1.2.0 --plain-http',
    );
    // The classic protocol needs no flag for http.
    assert.doesNotMatch(steps['repo-add']!, /insecure|plain-http/);
  });

  it('says anonymous clients may pull when public read is on', () => {
    const on = buildInstructions({ tenant: 'acme', urls: httpsUrls, username: 'a', publicRead: true });
    const off = buildInstructions({ tenant: 'acme', urls: httpsUrls, username: 'a', publicRead: false });
    assert.match(on.find((s) => s.id === 'repo-add')!.note ?? '', /anonymous/i);
    assert.doesNotMatch(off.find((s) => s.id === 'repo-add')!.note ?? '', /anonymous/i);
  });

  it('quotes what the shell would misread, and only that', () => {
    assert.equal(shellQuote('alice'), 'alice');
    assert.equal(shellQuote('alice@example.com'), 'alice@example.com');
    assert.equal(shellQuote('https://h:8443/helm/acme'), 'https://h:8443/helm/acme');
    assert.equal(shellQuote('ann marie'), `'ann marie'`);
    assert.equal(shellQuote(`o'brien`), `'o'\\''brien'`);
    assert.equal(shellQuote('$(rm -rf ~)'), `'$(rm -rf ~)'`);
    assert.equal(shellQuote(''), `''`);
    const steps = commands(
      buildInstructions({ tenant: 'acme', urls: httpsUrls, username: 'x;reboot', publicRead: false }),
    );
    assert.match(steps['repo-add']!, /--username 'x;reboot' --password-stdin$/);
  });
});

describe('upload checks and messages', () => {
  it('refuses files that are not .tgz, empty or over 10 MiB before any request', () => {
    assert.equal(checkChartFile({ name: 'webapp-1.2.0.tgz', size: 1234 }), null);
    assert.equal(checkChartFile({ name: 'WEBAPP-1.2.0.TGZ', size: 1 }), null);
    assert.match(checkChartFile({ name: 'webapp.tar.gz', size: 10 }) ?? '', /not a packaged chart.*\.tgz/);
    assert.match(checkChartFile({ name: 'Chart.yaml', size: 10 }) ?? '', /\.tgz/);
    assert.match(checkChartFile({ name: 'a.tgz', size: 0 }) ?? '', /empty/);
    assert.equal(checkChartFile({ name: 'a.tgz', size: MAX_UPLOAD_BYTES }), null);
    assert.match(checkChartFile({ name: 'a.tgz', size: MAX_UPLOAD_BYTES + 1 }) ?? '', /up to 10 MiB/);
  });

  it('reads name and version from helm package file names', () => {
    assert.deepEqual(identityFromFileName('webapp-1.2.0.tgz'), { name: 'webapp', version: '1.2.0' });
    assert.deepEqual(identityFromFileName('my-web-app-1.2.0-rc.1+build.5.tgz'), {
      name: 'my-web-app',
      version: '1.2.0-rc.1+build.5',
    });
    assert.deepEqual(identityFromFileName('C:\\charts\\x-0.0.1.tgz'), { name: 'x', version: '0.0.1' });
    assert.equal(identityFromFileName('webapp.tgz'), null);
    assert.equal(uploadedText({ name: 'webapp', version: '1.2.0' }, 'x.tgz'), 'Uploaded webapp 1.2.0.');
    assert.equal(uploadedText(null, 'x.tgz'), 'Uploaded x.tgz.');
  });

  it("turns ChartMuseum's {error} into the server's words, and says what to do about an existing version", () => {
    const conflict = new ApiError(409, 'http_409', 'File already exists.');
    const member = describeUploadError(conflict, false);
    assert.match(member, /^File already exists\. This version is already in the registry\./);
    assert.match(member, /Raise the version/);
    assert.doesNotMatch(member, /Overwrite/);
    assert.match(describeUploadError(conflict, true), /Overwrite an existing version/);
    assert.equal(
      describeUploadError(new ApiError(400, 'http_400', 'Chart.yaml: version is not semver.'), false),
      'Chart.yaml: version is not semver.',
    );
    const api = new ApiError(403, 'forbidden', 'Tenant admins only.');
    assert.match(describeUploadError(api, false), /^Tenant admins only\. Ask a tenant administrator/);
  });

  it('links to the chart page, with a version when given', () => {
    assert.equal(chartPagePath('acme', 'hosted', 'web app'), '/t/acme/charts/hosted/web%20app');
    assert.equal(
      chartPagePath('acme', 'hosted', 'webapp', '1.0.0+b'),
      '/t/acme/charts/hosted/webapp?version=1.0.0%2Bb',
    );
  });
});

describe('chart name and version from the archive', () => {
  const chartYaml = 'apiVersion: v2\nname: webapp\ndescription: "x"\nversion: 1.2.0-rc.1\n';

  it('reads the top-level Chart.yaml, not a subchart', async () => {
    const tgz = createTgz([
      { path: 'webapp/values.yaml', content: 'a: 1\n' },
      { path: 'webapp/charts/dep/Chart.yaml', content: 'name: dep\nversion: 9.9.9\n' },
      { path: 'webapp/Chart.yaml', content: chartYaml },
    ]);
    assert.deepEqual(await readChartIdentity(new Blob([tgz])), { name: 'webapp', version: '1.2.0-rc.1' });
  });

  it('follows PAX long paths and skips large entries', async () => {
    const long = 'd'.repeat(160); // beyond USTAR's 155-byte prefix: a PAX path record
    const tgz = createTgz([
      { path: `${long}/templates/big.yaml`, content: 'x'.repeat(200_000) },
      { path: `${long}/Chart.yaml`, content: chartYaml },
    ]);
    assert.deepEqual(await readChartIdentity(new Blob([tgz])), { name: 'webapp', version: '1.2.0-rc.1' });
  });

  it('answers null for what is not a chart archive', async () => {
    assert.equal(await readChartIdentity(new Blob([Buffer.from('not gzip at all')])), null);
    assert.equal(
      await readChartIdentity(new Blob([createTgz([{ path: 'a/values.yaml', content: '' }])])),
      null,
    );
  });

  it('parses quoted and commented scalars at the top level only', () => {
    assert.deepEqual(identityFromChartYaml(`name: "web"\nversion: '1.0.0' \n`), {
      name: 'web',
      version: '1.0.0',
    });
    assert.deepEqual(identityFromChartYaml('\uFEFFname: web # the app\nversion: 2.0.0\n'), {
      name: 'web',
      version: '2.0.0',
    });
    assert.equal(identityFromChartYaml('dependencies:\n  - name: x\n    version: 1.0.0\n'), null);
  });
});
