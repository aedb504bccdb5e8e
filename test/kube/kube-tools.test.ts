import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Helm, HELM_MAJORS, helmVersion, kubectlBinary } from '../support/kube-tools.js';
import { runTool } from '../support/skopeo.js';

/* The binaries every Helm and Kubernetes test relies on: unpacked from the npm dev dependencies. */

describe('real helm and kubectl from the npm layer packages', () => {
  for (const major of HELM_MAJORS) {
    it(`helm ${helmVersion(major)} runs from its own home`, async () => {
      const helm = await Helm.start(major);
      try {
        const run = await helm.ok(['version', '--short']);
        assert.match(run.stdout, new RegExp(`^v${helmVersion(major).replaceAll('.', '\\.')}\\+`));
        const env = await helm.ok(['env']);
        assert.match(env.stdout, new RegExp(`HELM_CONFIG_HOME="${helm.home}/config"`));
      } finally {
        await helm.close();
      }
    });

    it(`kubectl of the Helm ${major} layer runs`, async () => {
      const run = await runTool(await kubectlBinary(major), ['version', '--client', '-o', 'json']);
      assert.equal(run.code, 0, run.stderr);
      const version = JSON.parse(run.stdout) as { clientVersion: { major: string; minor: string } };
      assert.equal(version.clientVersion.major, '1');
      assert.equal(version.clientVersion.minor, major === 3 ? '32' : '33');
    });
  }
});
