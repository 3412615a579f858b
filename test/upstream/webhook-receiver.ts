import http, { IncomingHttpHeaders } from 'node:http';
import { AddressInfo } from 'node:net';
import type { WebhookEnvelope } from './simulator-webhooks';

/** One POST the receiver got; `body` is the parsed JSON (or the raw text if it was not JSON). */
export interface ReceivedWebhook {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: WebhookEnvelope;
  /** The body exactly as received: what a signature covers. */
  raw: string;
  at: Date;
}

export interface WebhookReceiver {
  /** e.g. http://127.0.0.1:PORT — any path below it is accepted. */
  readonly url: string;
  /** Live list, in arrival order. */
  readonly received: ReceivedWebhook[];
  /** Status code for the next answers (default 200). */
  respondWith(status: number): void;
  /** Hold each answer this long (default 0): a slow receiver. */
  respondAfter(ms: number): void;
  clear(): void;
  close(): Promise<void>;
}

/** A tiny webhook sink on a random port, for tests that need to see what the simulator emits. */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  let status = 200;
  let holdMs = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      received.push({
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: parse(text) as WebhookEnvelope,
        raw: text,
        at: new Date(),
      });
      const answer = (): void => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end('{}');
      };
      if (holdMs > 0) setTimeout(answer, holdMs);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    respondWith: (next) => {
      status = next;
    },
    respondAfter: (ms) => {
      holdMs = ms;
    },
    clear: () => {
      received.length = 0;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/**
 * Polls `probe` every `intervalMs` until it returns a truthy value (returned) or the deadline
 * passes. A probe that throws (e.g. a failing `expect`) is retried; its last error is rethrown at
 * the deadline, so a timeout explains itself.
 */
export async function waitFor<T>(
  probe: () => T | Promise<T>,
  timeoutMs = 3_000,
  intervalMs = 15,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      throw lastError instanceof Error ? lastError : new Error(`waitFor: condition not met within ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
