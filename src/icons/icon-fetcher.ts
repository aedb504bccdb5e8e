import { UpstreamError } from '../shared/errors.js';
import { displayUrl, openUpstream, type UpstreamPolicy } from '../upstream/http-client.js';
import {
  checkIcon,
  decodeDataUri,
  IconContentError,
  ICON_MEDIA_TYPES,
  MAX_ICON_BYTES,
  type IconMediaType,
} from './icon-content.js';

export interface FetchedIcon {
  bytes: Buffer;
  mediaType: IconMediaType;
}

export interface IconFetcherOptions {
  policy: UpstreamPolicy;
  maxBytes?: number;
  /** Deadline of one fetch, redirects included; default 10 s (or the policy's, if shorter). */
  timeoutMs?: number;
  /** Redirects followed; default 3 (or the policy's, if fewer). */
  maxRedirects?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_REDIRECTS = 3;

/**
 * Fetches the icon a Chart.yaml names. The URL is the chart author's choice, on any host, so:
 * - through the one upstream client and its address policy, checked on every redirect hop and on the
 *   address connected to (no SSRF into loopback or private networks unless the operator allows them;
 *   metadata addresses never);
 * - with no credentials at all: an icon is never the registry's to protect (no `credentialOrigin`);
 * - bounded: bytes (decoded, counted as they arrive), a short deadline, few redirects;
 * - only images, judged by their bytes (icon-content.ts); `data:` URIs are decoded under the same limits.
 */
export class IconFetcher {
  private readonly policy: UpstreamPolicy;
  private readonly maxBytes: number;

  constructor(o: IconFetcherOptions) {
    this.maxBytes = o.maxBytes ?? MAX_ICON_BYTES;
    this.policy = {
      ...o.policy,
      timeoutMs: Math.min(o.policy.timeoutMs, o.timeoutMs ?? DEFAULT_TIMEOUT_MS),
      maxRedirects: Math.min(o.policy.maxRedirects, o.maxRedirects ?? DEFAULT_MAX_REDIRECTS),
    };
  }

  async fetch(iconUrl: string): Promise<FetchedIcon> {
    if (/^data:/i.test(iconUrl)) {
      const { bytes } = decodeDataUri(iconUrl, this.maxBytes);
      return { bytes, mediaType: checkIcon(bytes, 'the data: URI', this.maxBytes) };
    }
    let url: URL;
    try {
      url = new URL(iconUrl);
    } catch {
      throw new IconContentError('icon_url_invalid', 'The icon is not an absolute URL.');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new IconContentError(
        'icon_url_invalid',
        `The icon URL's scheme ${url.protocol.slice(0, 20)} is not fetched; use https, http or data:.`,
      );
    }
    const opened = await openUpstream(url, {
      credentialOrigin: '',
      passCredentials: false,
      tls: { insecureSkipVerify: false },
      policy: this.policy,
      maxBytes: this.maxBytes,
      accept: ICON_MEDIA_TYPES.join(', '),
    });
    const where = displayUrl(opened.finalUrl);
    if (opened.status !== 200) {
      opened.body.destroy();
      throw new UpstreamError(
        opened.status === 404 ? 'not_found' : 'bad_status',
        `The icon host answered HTTP ${opened.status} for ${where}.`,
      );
    }
    const chunks: Buffer[] = [];
    for await (const chunk of opened.body as AsyncIterable<Buffer>) chunks.push(chunk);
    const bytes = Buffer.concat(chunks);
    return { bytes, mediaType: checkIcon(bytes, where, this.maxBytes) };
  }
}
