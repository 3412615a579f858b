import { Injectable, OnModuleDestroy } from '@nestjs/common';
import path from 'node:path';
import { Agent, Dispatcher, request } from 'undici';
import { PayloadTooLargeError, ValidationError } from '@/common/errors/app-error';
import { AppConfig } from '@/config/app-config';
import { assertAllowedUrl, OutboundGuard } from './outbound-guard';

const MAX_REDIRECTS = 3;

export interface FetchedMedia {
  /** The file as bare base64, which the upstream takes in place of a URL. */
  base64: string;
  /** The server's Content-Type without parameters, when it sent one. */
  mimetype?: string;
  /** The last segment of the URL's path, for documents the upstream will not take without a name. */
  fileName?: string;
}

/**
 * Fetches the media a tenant names by URL, so that the upstream never fetches a tenant's URL from inside the
 * deployment (an SSRF: it would send the bytes of an internal address to a number the tenant chooses). Every hop
 * passes the outbound guard: the URL when it is read, and the address actually connected to, so a DNS answer that
 * changes between the check and the connection cannot reach a private address. MAX_MEDIA_BYTES is enforced while the
 * body streams in.
 */
@Injectable()
export class MediaFetcher implements OnModuleDestroy {
  private readonly dispatcher: Dispatcher;
  private readonly maxBytes: number;
  private readonly timeoutMs: number;

  constructor(
    private readonly guard: OutboundGuard,
    config: AppConfig,
  ) {
    this.dispatcher = new Agent({ connect: { lookup: guard.lookup }, keepAliveTimeout: 1000 });
    this.maxBytes = config.get('MAX_MEDIA_BYTES');
    this.timeoutMs = config.get('WEBHOOK_TIMEOUT_MS');
  }

  async onModuleDestroy(): Promise<void> {
    await this.dispatcher.destroy();
  }

  async fetch(field: string, url: string): Promise<FetchedMedia> {
    let current = url;
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      assertAllowedUrl(this.guard, field, current);
      const res = await this.get(field, current);
      const location = res.headers.location;
      if (res.statusCode >= 300 && res.statusCode < 400 && typeof location === 'string') {
        await res.body.dump();
        current = new URL(location, current).toString();
        continue;
      }
      if (res.statusCode !== 200) {
        await res.body.dump();
        throw new ValidationError(
          `${field}: could not be fetched: the server answered HTTP ${res.statusCode}`,
          'MEDIA_FETCH_FAILED',
        );
      }
      return { ...(await this.read(field, res)), ...describe(current, res.headers['content-type']) };
    }
    throw new ValidationError(
      `${field}: could not be fetched: more than ${MAX_REDIRECTS} redirects`,
      'MEDIA_FETCH_FAILED',
    );
  }

  private async get(field: string, url: string): Promise<Dispatcher.ResponseData> {
    try {
      return await request(url, {
        method: 'GET',
        dispatcher: this.dispatcher,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
    } catch (err) {
      const blocked = [err, (err as { cause?: unknown }).cause].find(
        (e) => (e as { code?: string } | undefined)?.code === 'OUTBOUND_BLOCKED',
      );
      if (blocked) throw new ValidationError(`${field}: ${(blocked as Error).message}`, 'URL_NOT_ALLOWED');
      const reason = (err as { code?: string }).code ?? (err instanceof Error ? err.message : 'network error');
      throw new ValidationError(`${field}: could not be fetched (${reason})`, 'MEDIA_FETCH_FAILED');
    }
  }

  private async read(field: string, res: Dispatcher.ResponseData): Promise<{ base64: string }> {
    const tooLarge = (bytes: string) =>
      new PayloadTooLargeError(`${field}: is ${bytes} bytes, larger than the ${this.maxBytes}-byte limit`);
    const declared = Number(res.headers['content-length']);
    if (declared > this.maxBytes) {
      res.body.destroy();
      throw tooLarge(String(declared));
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body) {
      size += (chunk as Buffer).length;
      if (size > this.maxBytes) {
        res.body.destroy();
        throw tooLarge(`over ${this.maxBytes}`);
      }
      chunks.push(chunk as Buffer);
    }
    return { base64: Buffer.concat(chunks).toString('base64') };
  }
}

function describe(
  url: string,
  contentType: string | string[] | undefined,
): Pick<FetchedMedia, 'mimetype' | 'fileName'> {
  const type = typeof contentType === 'string' ? contentType.split(';')[0]!.trim().toLowerCase() : '';
  const name = path.posix.basename(new URL(url).pathname);
  return {
    ...(/^[\w.+-]+\/[\w.+-]+$/.test(type) ? { mimetype: type } : {}),
    ...(name ? { fileName: decodedOrRaw(name) } : {}),
  };
}

function decodedOrRaw(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
