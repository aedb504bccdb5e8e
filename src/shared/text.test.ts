import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CONTROL_CHARACTERS, PRINTABLE_TEXT_PATTERN, shownName } from './text.js';

describe('request text', () => {
  it('knows C0 and C1 control characters, and nothing printable', () => {
    for (const c of ['\u0000', '\n', '\u001f', '\u007f', '\u0085', '\u009f'])
      assert.equal(CONTROL_CHARACTERS.test(c), true, c.charCodeAt(0).toString(16));
    for (const c of [' ', '~', 'é', '😀', '\u00a0']) assert.equal(CONTROL_CHARACTERS.test(c), false, c);
    const printable = new RegExp(PRINTABLE_TEXT_PATTERN, 'u');
    assert.equal(printable.test('nginx ingress é'), true);
    assert.equal(printable.test('a\u0000'), false);
  });

  it('shows names escaped and cut', () => {
    assert.equal(shownName('a\u0000b\n'), 'a\\u0000b\\u000a');
    assert.equal(shownName('x'.repeat(100)), `${'x'.repeat(80)}…`);
  });
});
