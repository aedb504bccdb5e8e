import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GoMap, GoStruct, goJson, goJsonString } from './go-json.js';

describe('goJson', () => {
  it('escapes as Go does: HTML characters, line separators, control characters', () => {
    assert.equal(goJsonString('a<b>&c'), '"a\\u003cb\\u003e\\u0026c"');
    assert.equal(goJsonString('x\u2028y\u2029'), '"x\\u2028y\\u2029"');
    assert.equal(
      goJsonString('"\\\n\r\t\b\f\u0001\u007f é 😀'),
      '"\\"\\\\\\n\\r\\t\\b\\f\\u0001\u007f é 😀"',
    );
    assert.equal(goJsonString('bad\ud800'), '"bad\ufffd"');
  });
  it('writes struct fields in order, leaving out undefined ones', () => {
    const value = new GoStruct([
      ['z', 'last-declared-first'],
      ['skip', undefined],
      ['a', [1, true, null]],
    ]);
    assert.equal(goJson(value), '{"z":"last-declared-first","a":[1,true,null]}');
  });
  it('sorts map keys by bytes, numeric-looking keys included', () => {
    const map = new GoMap({ b: '1', '10': '2', '9': '3', A: '4', é: '5' });
    assert.equal(goJson(map), '{"10":"2","9":"3","A":"4","b":"1","é":"5"}');
    assert.equal(goJson(new GoMap({ '<k>': 'v' })), '{"\\u003ck\\u003e":"v"}');
  });
  it('refuses non-integers rather than guessing Go float formatting', () => {
    assert.throws(() => goJson(1.5));
  });
});
