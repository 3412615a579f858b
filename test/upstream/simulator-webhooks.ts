import { createHmac } from 'node:crypto';
import http, { ClientRequest } from 'node:http';
import https from 'node:https';
import { Scheduler } from './simulator-scheduler';
import { WebhookRow } from './simulator-state';

/** contract §4.1: the body of every webhook POST. `sender` is omitted before the first connection. */
export interface WebhookEnvelope {
  event: string;
  instance: string;
  data: unknown;
  destination: string;
  date_time: string;
  sender?: string;
  server_url: string;
  apikey: string | null;
}

/** One emitted webhook as the simulator saw it (a test tool: nothing is redacted). */
export interface WebhookDelivery {
  seq: number;
  event: string;
  instance: string;
  url: string;
  headers: Record<string, string>;
  body: WebhookEnvelope;
  /** HTTP status the receiver answered; absent when the POST failed or was not attempted. */
  statusCode?: number;
  error?: string;
  at: Date;
  durationMs: number;
}

export interface PreparedDelivery {
  url: string;
  headers: Record<string, string>;
  body: WebhookEnvelope;
}

export interface EnvelopeContext {
  instanceName: string;
  sender: string | null;
  serverUrl: string;
  apikey: string | null;
}

/** contract §4.2: `messages.update` → `MESSAGES_UPDATE` (filter key) → `messages-update` (URL suffix). */
export function eventKey(event: string): string {
  return event.replace(/[.-]/g, '_').toUpperCase();
}

export function eventPathSuffix(event: string): string {
  return eventKey(event).replace(/_/g, '-').toLowerCase();
}

/** contract §4.2: fires only if enabled and the event is listed (the simulator also treats `[]` as all). */
export function webhookAccepts(row: WebhookRow | null, event: string): row is WebhookRow {
  if (!row || !row.enabled) return false;
  return row.events.length === 0 || row.events.includes(eventKey(event));
}

export function prepareDelivery(row: WebhookRow, event: string, data: unknown, ctx: EnvelopeContext): PreparedDelivery {
  const url = row.webhookByEvents ? `${row.url}/${eventPathSuffix(event)}` : row.url;
  const body: WebhookEnvelope = {
    event,
    instance: ctx.instanceName,
    data,
    // contract §4.1: `destination` is the instance's configured URL, not the per-event one.
    destination: row.url,
    // contract §4.1: local time minus the TZ offset with a `Z` — i.e. UTC when TZ=UTC.
    date_time: new Date().toISOString(),
    ...(ctx.sender ? { sender: ctx.sender } : {}),
    server_url: ctx.serverUrl,
    apikey: ctx.apikey,
  };
  return { url, headers: webhookHeaders(row.headers), body };
}

/**
 * contract §4.1: axios defaults plus the stored `headers` map; a `jwt_key` entry is replaced by
 * `Authorization: Bearer <HS256 JWT {iat, exp:+600s, app:"evolution", action:"webhook"}>`.
 */
function webhookHeaders(stored: Record<string, unknown> | null): Record<string, string> {
  const headers: Record<string, string> = {
    accept: 'application/json, text/plain, */*',
    'content-type': 'application/json',
    'user-agent': 'axios/1.12.2',
  };
  for (const [name, value] of Object.entries(stored ?? {})) {
    if (name === 'jwt_key') continue;
    headers[name.toLowerCase()] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  const jwtKey = stored?.['jwt_key'];
  if (typeof jwtKey === 'string' && jwtKey !== '') headers['authorization'] = `Bearer ${signWebhookJwt(jwtKey)}`;
  return headers;
}

export function signWebhookJwt(secret: string, nowSeconds = Math.floor(Date.now() / 1000)): string {
  const encode = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode({
    iat: nowSeconds,
    exp: nowSeconds + 600,
    app: 'evolution',
    action: 'webhook',
  })}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}

/** contract §4.3: attempts in all, the longest wait between two, and the statuses never retried. */
const RETRY_ATTEMPTS = 10;
const RETRY_MAX_DELAY_MS = 300_000;
const NOT_RETRIED = new Set([400, 401, 403, 404, 422]);

/**
 * Posts webhooks. Deliveries are fire-and-forget for the caller. Deliveries queued on the same chain run one after
 * another, `gapMs` apart, so a message's `send.message` → SERVER_ACK → DELIVERY_ACK → READ arrive in order; different
 * chains run concurrently. A failed delivery (a network error, a timeout, or any non-2xx status but 400, 401, 403,
 * 404 and 422) is posted again later, outside its chain, as the real server does (contract §4.3; jitter left out).
 */
export class WebhookDispatcher {
  private readonly chains = new Map<string, Promise<void>>();
  private readonly inFlight = new Set<ClientRequest>();
  /**
   * Keep-alive connections, as the real server's axios on Node ≥ 19 (whose global agent keeps connections alive)
   * posts its webhooks; destroyed on close() so nothing outlives the simulator.
   */
  private readonly agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };
  private readonly log: WebhookDelivery[] = [];
  private generation = 0;
  private seq = 0;

  constructor(
    private readonly scheduler: Scheduler,
    private readonly timeoutMs: number,
    private readonly retryDelayMs: number,
  ) {}

  enqueue(chainKey: string, gapMs: number, task: () => Promise<void> | void): void {
    const previous = this.chains.get(chainKey) ?? Promise.resolve();
    const next = previous
      .then(() => this.scheduler.sleep(gapMs, 'background'))
      .then(task)
      .catch(() => undefined);
    this.chains.set(chainKey, next);
    void next.then(() => {
      if (this.chains.get(chainKey) === next) this.chains.delete(chainKey);
    });
  }

  async deliver(event: string, instance: string, prepared: PreparedDelivery, attempt = 1): Promise<void> {
    const generation = this.generation;
    const at = new Date();
    const outcome = await this.attempt(prepared);
    // A delivery that straddles reset() or close() belongs to a log that no longer exists.
    if (generation !== this.generation || this.scheduler.isDisposed) return;
    this.log.push({
      seq: ++this.seq,
      event,
      instance,
      ...prepared,
      ...outcome,
      at,
      durationMs: Date.now() - at.getTime(),
    });
    const failed =
      outcome.statusCode === undefined
        ? outcome.error !== undefined && !outcome.error.startsWith('not delivered')
        : outcome.statusCode >= 300;
    if (failed && !NOT_RETRIED.has(outcome.statusCode ?? 0) && attempt < RETRY_ATTEMPTS) {
      const wait = Math.max(this.retryDelayMs, Math.min(this.retryDelayMs * 2 ** (attempt - 1), RETRY_MAX_DELAY_MS));
      this.scheduler.after(wait, 'background', () => {
        if (generation === this.generation) void this.deliver(event, instance, prepared, attempt + 1);
      });
    }
  }

  deliveries(): WebhookDelivery[] {
    return [...this.log];
  }

  clearLog(): void {
    this.log.length = 0;
  }

  /** Drops queued deliveries (their timers are cancelled by the caller) and the log. */
  reset(): void {
    this.generation += 1;
    this.chains.clear();
    this.clearLog();
  }

  dispose(): void {
    this.generation += 1;
    this.chains.clear();
    for (const req of this.inFlight) req.destroy();
    this.inFlight.clear();
    this.agents.http.destroy();
    this.agents.https.destroy();
  }

  private async attempt(prepared: PreparedDelivery): Promise<{ statusCode?: number; error?: string }> {
    // contract §2.5: delivery only happens if the URL matches ^https?://
    if (!/^https?:\/\//i.test(prepared.url)) return { error: 'not delivered: url does not match ^https?://' };
    try {
      return { statusCode: await this.post(prepared) };
    } catch (err) {
      return { error: err instanceof Error ? err.message : String(err) };
    }
  }

  private post(prepared: PreparedDelivery): Promise<number> {
    const payload = JSON.stringify(prepared.body);
    const target = new URL(prepared.url);
    const transport = target.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = transport.request(
        target,
        {
          method: 'POST',
          agent: target.protocol === 'https:' ? this.agents.https : this.agents.http,
          headers: { ...prepared.headers, 'content-length': Buffer.byteLength(payload) },
          timeout: this.timeoutMs,
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
          res.on('error', reject);
        },
      );
      this.inFlight.add(req);
      req.on('timeout', () => req.destroy(new Error(`timeout of ${this.timeoutMs}ms exceeded`)));
      req.on('error', reject);
      req.on('close', () => this.inFlight.delete(req));
      req.end(payload);
    });
  }
}
