/**
 * What a chart icon may be, decided from its bytes alone (pure; no I/O). Chart.yaml's `icon` is a URL
 * on a host the chart author chose, so what comes back is untrusted: only five image types are
 * served, recognised by their magic bytes. The upstream's Content-Type is not consulted: it is what
 * an attacker controls most easily, and honest hosts get it wrong (raw.githubusercontent.com serves
 * SVG as text/plain).
 */

export type IconMediaType = 'image/png' | 'image/jpeg' | 'image/gif' | 'image/webp' | 'image/svg+xml';

export const ICON_MEDIA_TYPES: readonly IconMediaType[] = [
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'image/svg+xml',
];

/** Icons are shown at 48 px: anything larger than this is not an icon and is refused. */
export const MAX_ICON_BYTES = 256 * 1024;

/** Why bytes are not an icon Charthouse serves; `message` tells the chart's author what to fix. */
export class IconContentError extends Error {
  constructor(
    readonly code: 'icon_not_image' | 'icon_too_large' | 'icon_url_invalid',
    message: string,
  ) {
    super(message);
    this.name = 'IconContentError';
  }
}

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const startsWith = (bytes: Buffer, prefix: Buffer | string, at = 0): boolean => {
  const p = typeof prefix === 'string' ? Buffer.from(prefix, 'latin1') : prefix;
  return bytes.length >= at + p.length && bytes.subarray(at, at + p.length).equals(p);
};

/**
 * The SVG test: UTF-8 text whose first element is `<svg`, after an optional BOM, XML declaration,
 * comments, processing instructions and a DOCTYPE. An HTML page that merely contains an <svg> is not
 * one, nor is gzip (svgz: browsers will not show it from an <img> without Content-Encoding).
 */
function isSvg(bytes: Buffer): boolean {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return false;
  }
  let rest = text.replace(/^\uFEFF/, '');
  for (;;) {
    rest = rest.replace(/^\s+/, '');
    if (rest.startsWith('<?')) {
      const end = rest.indexOf('?>');
      if (end === -1) return false;
      rest = rest.slice(end + 2);
    } else if (rest.startsWith('<!--')) {
      const end = rest.indexOf('-->');
      if (end === -1) return false;
      rest = rest.slice(end + 3);
    } else if (/^<!DOCTYPE/i.test(rest)) {
      // A DOCTYPE may carry an internal subset in brackets; entity games there are not worth allowing.
      const end = rest.indexOf('>');
      if (end === -1 || rest.slice(0, end).includes('[')) return false;
      rest = rest.slice(end + 1);
    } else {
      return /^<svg[\s>/]/.test(rest) || /^<[A-Za-z_][\w.-]*:svg[\s>/]/.test(rest);
    }
  }
}

/** The image type of `bytes` by magic number, or null when it is none of the five. */
export function sniffIconType(bytes: Buffer): IconMediaType | null {
  if (startsWith(bytes, PNG)) return 'image/png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (startsWith(bytes, 'GIF87a') || startsWith(bytes, 'GIF89a')) return 'image/gif';
  if (startsWith(bytes, 'RIFF') && startsWith(bytes, 'WEBP', 8)) return 'image/webp';
  if (isSvg(bytes)) return 'image/svg+xml';
  return null;
}

/** The bytes as an icon: their sniffed type, or IconContentError saying why not. */
export function checkIcon(bytes: Buffer, source: string, maxBytes = MAX_ICON_BYTES): IconMediaType {
  if (bytes.length > maxBytes) {
    throw new IconContentError(
      'icon_too_large',
      `The icon at ${source} is ${bytes.length} bytes; icons may be at most ${maxBytes} bytes.`,
    );
  }
  const type = sniffIconType(bytes);
  if (type === null) {
    throw new IconContentError(
      'icon_not_image',
      `The icon at ${source} is not a PNG, JPEG, GIF, WebP or SVG image (judged by its content).`,
    );
  }
  return type;
}

/** Headers every icon response carries; SVG is the reason (below), the rest are harmless for bitmaps. */
export const ICON_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  // An SVG can hold script. In an <img> a browser never runs it, but the icon URL can also be opened
  // directly, on the console's own origin (where the session token lives): no script, no requests,
  // a unique origin (sandbox), inline styles only since many icons use a style attribute.
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; sandbox",
  'x-content-type-options': 'nosniff',
  'content-disposition': 'inline',
  'cross-origin-resource-policy': 'same-origin',
};

export interface DataUri {
  mediaType: string;
  bytes: Buffer;
}

/**
 * Decodes a `data:` URI (RFC 2397), refusing anything over `maxBytes` decoded, before decoding. Only
 * `image/*` media types are taken; the bytes are still sniffed afterwards like any downloaded icon.
 */
export function decodeDataUri(uri: string, maxBytes = MAX_ICON_BYTES): DataUri {
  const comma = uri.indexOf(',');
  if (!/^data:/i.test(uri) || comma === -1) {
    throw new IconContentError('icon_url_invalid', 'The icon is a data: URI without a comma.');
  }
  const params = uri
    .slice(5, comma)
    .split(';')
    .map((p) => p.trim().toLowerCase());
  const base64 = params[params.length - 1] === 'base64';
  const mediaType = params[0] === '' || params[0] === undefined ? 'text/plain' : params[0];
  if (!mediaType.startsWith('image/')) {
    throw new IconContentError(
      'icon_not_image',
      `The icon is a data: URI of type ${mediaType.slice(0, 60)}, not an image.`,
    );
  }
  const payload = uri.slice(comma + 1);
  // A bound on the encoded length first, so a huge URI is refused without decoding it.
  const estimate = base64 ? Math.floor((payload.length * 3) / 4) : payload.length / 3;
  if (estimate > maxBytes * 1.01 + 3) {
    throw new IconContentError(
      'icon_too_large',
      `The icon's data: URI holds more than ${maxBytes} bytes; icons may be at most ${maxBytes} bytes.`,
    );
  }
  let bytes: Buffer;
  if (base64) {
    bytes = Buffer.from(payload.replace(/\s+/g, ''), 'base64');
  } else {
    try {
      bytes = Buffer.from(decodeURIComponent(payload), 'utf8');
    } catch {
      throw new IconContentError('icon_url_invalid', 'The icon data: URI is not validly percent-encoded.');
    }
  }
  if (bytes.length > maxBytes) {
    throw new IconContentError(
      'icon_too_large',
      `The icon's data: URI holds ${bytes.length} bytes; icons may be at most ${maxBytes} bytes.`,
    );
  }
  return { mediaType, bytes };
}
