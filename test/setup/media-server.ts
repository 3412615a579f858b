import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Bytes the media server answers with, and what the upstream must then receive as base64. */
export const MEDIA_BYTES = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');

/** What `/page` serves: a web page where a tenant meant to link a file (a share link), which no image decoder reads. */
export const PAGE_BYTES = Buffer.from(
  '<!doctype html><html><head><title>Shared file</title></head><body>Sign in to view</body></html>',
);

export interface MediaServer {
  url: string;
  /** Paths the server was asked for, in order. */
  requests: string[];
  close: () => Promise<void>;
}

/**
 * A tenant's media host on loopback: `/<name>` answers MEDIA_BYTES as image/png, `/redirect?to=<url>` answers 302 to
 * that URL, `/big?bytes=<n>` streams n bytes without a Content-Length, and `/page` answers PAGE_BYTES as text/html.
 */
export async function startMediaServer(): Promise<MediaServer> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://media.test');
    requests.push(url.pathname);
    if (url.pathname === '/redirect') {
      res.writeHead(302, { location: url.searchParams.get('to') ?? '/' });
      return void res.end();
    }
    if (url.pathname === '/page') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': PAGE_BYTES.length });
      return void res.end(PAGE_BYTES);
    }
    if (url.pathname === '/big') {
      res.writeHead(200, { 'content-type': 'video/mp4' });
      const total = Number(url.searchParams.get('bytes') ?? 0);
      for (let sent = 0; sent < total; sent += 1024) res.write(Buffer.alloc(Math.min(1024, total - sent), 1));
      return void res.end();
    }
    res.writeHead(200, { 'content-type': 'image/png; charset=binary', 'content-length': MEDIA_BYTES.length });
    res.end(MEDIA_BYTES);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
