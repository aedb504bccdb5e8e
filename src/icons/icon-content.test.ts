import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkIcon, decodeDataUri, IconContentError, MAX_ICON_BYTES, sniffIconType } from './icon-content.js';

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
const svg = (text: string) => Buffer.from(text, 'utf8');

describe('sniffIconType', () => {
  it('recognises the five image types by their magic bytes, whatever the name says', () => {
    assert.equal(sniffIconType(PNG), 'image/png');
    assert.equal(sniffIconType(Buffer.from('ffd8ffe000104a464946', 'hex')), 'image/jpeg');
    assert.equal(sniffIconType(Buffer.from('GIF89a\x01\x00', 'latin1')), 'image/gif');
    assert.equal(sniffIconType(Buffer.from('GIF87a\x01\x00', 'latin1')), 'image/gif');
    assert.equal(sniffIconType(Buffer.from('RIFF\x24\x00\x00\x00WEBPVP8 ', 'latin1')), 'image/webp');
    assert.equal(sniffIconType(svg('<svg xmlns="http://www.w3.org/2000/svg"/>')), 'image/svg+xml');
  });

  it('finds the <svg> root behind a BOM, an XML declaration, comments and a DOCTYPE', () => {
    const text =
      '\uFEFF<?xml version="1.0"?>\n<!-- Generator: x -->\n' +
      '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n' +
      '<svg width="10">';
    assert.equal(sniffIconType(svg(text)), 'image/svg+xml');
    assert.equal(sniffIconType(svg('<svg:svg xmlns:svg="http://www.w3.org/2000/svg">')), 'image/svg+xml');
  });

  it('refuses what is not an image: HTML (even holding an <svg>), text, JSON, gzip, truncated magic', () => {
    for (const bytes of [
      svg('<!doctype html><html><body><svg></svg></body></html>'),
      svg('<html><svg>'),
      svg('not found\n'),
      svg('{"icon": true}'),
      Buffer.from('1f8b0800000000000003', 'hex'),
      PNG.subarray(0, 6),
      Buffer.from('RIFF\x24\x00\x00\x00WAVEfmt ', 'latin1'),
      Buffer.alloc(0),
      svg('<!DOCTYPE svg [<!ENTITY x "y">]><svg>'),
      Buffer.concat([Buffer.from('<svg>'), Buffer.from([0xff, 0xfe, 0xfd])]),
    ]) {
      assert.equal(sniffIconType(bytes), null, bytes.toString('latin1').slice(0, 40));
    }
  });
});

describe('checkIcon', () => {
  it('refuses more than the limit, naming the sizes', () => {
    const big = Buffer.concat([PNG, Buffer.alloc(MAX_ICON_BYTES)]);
    assert.throws(
      () => checkIcon(big, 'https://x.test/i.png'),
      (e: unknown) =>
        e instanceof IconContentError &&
        e.code === 'icon_too_large' &&
        /at most 262144 bytes/.test(e.message),
    );
    assert.equal(checkIcon(PNG, 'x', PNG.length), 'image/png');
    assert.throws(() => checkIcon(PNG, 'x', PNG.length - 1), { code: 'icon_too_large' });
  });

  it('refuses non-images with a message naming the accepted types', () => {
    assert.throws(() => checkIcon(svg('<html>'), 'https://x.test/i'), {
      code: 'icon_not_image',
      message: /not a PNG, JPEG, GIF, WebP or SVG image/,
    });
  });

  it('lets an SVG with script through: it is neutralised by the headers it is served with, not by editing', () => {
    assert.equal(checkIcon(svg('<svg><script>alert(1)</script></svg>'), 'x'), 'image/svg+xml');
  });
});

describe('decodeDataUri', () => {
  it('decodes base64 and percent-encoded image data', () => {
    const b64 = decodeDataUri(`data:image/png;base64,${PNG.toString('base64')}`);
    assert.equal(b64.mediaType, 'image/png');
    assert.deepEqual(b64.bytes, PNG);
    const text = decodeDataUri('data:image/svg+xml;charset=utf-8,%3Csvg%20xmlns%3D%22x%22%2F%3E');
    assert.equal(text.bytes.toString('utf8'), '<svg xmlns="x"/>');
  });

  it('refuses non-image types, malformed URIs and data over the limit before decoding it', () => {
    assert.throws(() => decodeDataUri('data:text/html;base64,PGh0bWw+'), { code: 'icon_not_image' });
    assert.throws(() => decodeDataUri('data:,hello'), { code: 'icon_not_image' });
    assert.throws(() => decodeDataUri('data:image/png;base64'), { code: 'icon_url_invalid' });
    assert.throws(() => decodeDataUri('data:image/svg+xml,%E0%A4%A'), { code: 'icon_url_invalid' });
    const huge = `data:image/png;base64,${'A'.repeat(4 * 1024 * 1024)}`;
    assert.throws(() => decodeDataUri(huge), { code: 'icon_too_large' });
    const justOver = `data:image/png;base64,${Buffer.alloc(1001).toString('base64')}`;
    assert.throws(() => decodeDataUri(justOver, 1000), { code: 'icon_too_large' });
    assert.equal(
      decodeDataUri(`data:image/png;base64,${Buffer.alloc(1000).toString('base64')}`, 1000).bytes.length,
      1000,
    );
  });
});
