import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ProfileDiff } from '../client/api-client.js';
import { formatDiff } from './profile-format.js';

describe('profile diff output', () => {
  it('lists added, removed and changed layers, each field and values change, and variables', () => {
    const d: ProfileDiff = {
      profile: 'platform',
      from: '1.0.0',
      to: '1.1.0',
      layers: {
        added: ['cache'],
        removed: ['legacy'],
        changed: [
          {
            name: 'web',
            fields: [{ field: 'version', from: '1.2.0', to: '1.3.0' }],
            values: [
              { path: 'image.tag', kind: 'added', to: '1.10' },
              { path: 'debug', kind: 'removed', from: true },
              { path: 'replicaCount', kind: 'changed', from: 2, to: 3 },
              { path: '', kind: 'changed', from: null, to: { a: 1 } },
            ],
          },
        ],
        orderChanged: true,
      },
      variables: { added: ['tier'], removed: ['old'], changed: ['replicas'] },
    };
    assert.equal(
      formatDiff(d),
      [
        'platform 1.0.0 → 1.1.0',
        '+ layer cache',
        '- layer legacy',
        '~ layer web',
        '    version: "1.2.0" → "1.3.0"',
        '    values image.tag added: "1.10"',
        '    values debug removed: true',
        '    values replicaCount changed: 2 → 3',
        '    values (root) changed: null → {"a":1}',
        '~ install order changed',
        '+ variable tier',
        '- variable old',
        '~ variable replicas',
        '',
      ].join('\n'),
    );
  });
});
