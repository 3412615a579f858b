import { PayloadTooLargeError, ValidationError } from '@/common/errors/app-error';

export interface MediaPayload {
  /** The URL (which the gateway fetches itself, see MediaFetcher), or bare base64 (the upstream refuses data URIs). */
  media: string;
  /** Set when `media` is a URL. */
  url?: true;
  /** MIME type read from a data URI, when the caller gave none. */
  mimetype?: string;
}

const DATA_URI = /^data:([\w.+-]+\/[\w.+-]+)?(;[\w-]+=[\w.-]+)*;base64,/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Accepts a public http(s) URL, base64, or a base64 data URI, and enforces the size limit on decoded bytes. */
export function readMedia(raw: string, maxBytes: number): MediaPayload {
  const value = raw.trim();
  if (/^https?:\/\//i.test(value)) {
    try {
      new URL(value);
    } catch {
      throw new ValidationError('media: is not a valid URL');
    }
    return { media: value, url: true };
  }
  const dataUri = DATA_URI.exec(value);
  const base64 = (dataUri ? value.slice(dataUri[0].length) : value).replace(/\s+/g, '');
  if (!BASE64.test(base64) || base64.length % 4 === 1) {
    throw new ValidationError('media: must be an http(s) URL, base64 data, or a base64 data URI');
  }
  const bytes = Math.floor((base64.length * 3) / 4) - (base64.endsWith('==') ? 2 : base64.endsWith('=') ? 1 : 0);
  if (bytes > maxBytes) {
    throw new PayloadTooLargeError(`media: is ${bytes} bytes, larger than the ${maxBytes}-byte limit`);
  }
  return { media: base64, mimetype: dataUri?.[1] };
}
