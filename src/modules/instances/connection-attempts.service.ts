import { Injectable } from '@nestjs/common';
import { RedisService } from '@/common/redis/redis.service';
import { QrCode } from '@/integrations/evolution/evolution.types';

/**
 * How long a connection counts as running after the upstream last showed it: longer than its gaps between signs of
 * life, which are a repeated `connecting` every 5–15 s while it retries and a new QR about every 45 s (contract §4.4,
 * §12). A connection that ended without a word is thus forgotten within a minute.
 */
const RUNNING_TTL_MS = 60_000;

/** A QR is replaced after about 45 s (contract §4.4: qrTimeout), and one older than that no longer links a phone. */
const QR_TTL_MS = 45_000;

/**
 * How long the number a connection links by pairing code is remembered: about as long as the upstream keeps offering
 * new codes before it gives the connection up. Forgetting it early only makes a later request answer no code.
 */
const PAIRING_NUMBER_TTL_MS = 30 * 60_000;

/**
 * How long the upstream time of a connection's last end is kept: longer than the upstream goes on retrying a webhook
 * it could not deliver (about 20 minutes), so a late copy of an older event is still recognised as older.
 */
const ENDED_AT_TTL_MS = 30 * 60_000;

/**
 * Applies an event of the upstream's (its time in ARGV[1]) unless it is older than the connection's last end
 * (KEYS[1]): an event the upstream made before an open, close or logout but that arrives after it says nothing about
 * the connection now. ARGV[2] `end` ends the connection (KEYS[2..4]: running, QR, pairing number) and records the
 * end's time; `run` marks it running. 1 when applied, 0 when older. Equal times apply, so a retried event does again
 * what its first copy may not have finished.
 */
const APPLY_EVENT = `
local ended = tonumber(redis.call('GET', KEYS[1]))
local at = tonumber(ARGV[1])
if ended and ended > at then return 0 end
if ARGV[2] == 'end' then
  redis.call('DEL', KEYS[2], KEYS[3], KEYS[4])
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[4])
else
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
end
return 1`;

export interface StoredQr {
  pairingCode: string | null;
  code: string | null;
  base64: string | null;
  count: number;
}

/**
 * What the gateway knows about a connection being made upstream, in Redis so every process sees it: whether one is
 * running, and the latest QR it produced (from a connect or create answer, or a `qrcode.updated` event). The upstream
 * cannot be asked: its connectionState flips between close and connecting while it retries, and every connect on it
 * then starts one more reconnect loop that never ends (contract §12). The upstream's events may arrive out of order
 * (it posts them concurrently and retries failed posts), so those that carry the upstream's time are applied only
 * when not older than the connection's last end.
 */
@Injectable()
export class ConnectionAttempts {
  constructor(private readonly redis: RedisService) {}

  /** Claims the start of a connection: false when one is running, or another request is starting one right now. */
  async begin(instanceId: string): Promise<boolean> {
    return (await this.redis.client.set(this.runningKey(instanceId), '1', 'PX', RUNNING_TTL_MS, 'NX')) === 'OK';
  }

  /** The upstream showed that the connection still runs (a `connecting` event, a new QR, a create that connects). */
  async stillRunning(instanceId: string): Promise<void> {
    await this.redis.client.set(this.runningKey(instanceId), '1', 'PX', RUNNING_TTL_MS);
  }

  /** The connection ended (open, closed, refused, deleted) or never started (the connect failed). */
  async end(instanceId: string): Promise<void> {
    await this.redis.client.del(this.runningKey(instanceId), this.qrKey(instanceId), this.pairingKey(instanceId));
  }

  /**
   * An upstream event made at `at` (epoch ms, the upstream's clock) ended the connection (open, close, refused), or
   * showed it running (connecting, a new QR); false, and nothing changed, when the event is older than the last end.
   */
  async applyEvent(instanceId: string, kind: 'end' | 'run', at: number): Promise<boolean> {
    const applied = await this.redis.client.eval(
      APPLY_EVENT,
      4,
      this.endedAtKey(instanceId),
      this.runningKey(instanceId),
      this.qrKey(instanceId),
      this.pairingKey(instanceId),
      at,
      kind,
      RUNNING_TTL_MS,
      ENDED_AT_TTL_MS,
    );
    return applied === 1;
  }

  /** The number the connection just begun links by pairing code, or null for one linked by scanning a QR. */
  async linkingNumber(instanceId: string, number: string | null): Promise<void> {
    if (number === null) await this.redis.client.del(this.pairingKey(instanceId));
    else await this.redis.client.set(this.pairingKey(instanceId), number, 'PX', PAIRING_NUMBER_TTL_MS);
  }

  /** The number the running connection links by pairing code, if it was begun with one. */
  async pairingNumber(instanceId: string): Promise<string | null> {
    return this.redis.client.get(this.pairingKey(instanceId));
  }

  async storeQr(instanceId: string, qr: QrCode): Promise<void> {
    const previous = await this.latestQr(instanceId);
    const stored: StoredQr = {
      pairingCode: qr.pairingCode ?? null,
      code: qr.code ?? null,
      base64: qr.base64 ?? null,
      // A qrcode.updated event carries no count: it is one more QR than the last, unless it is the last one again
      // (the upstream also posts the QR its connect answered with).
      count: qr.count ?? (previous && previous.code === qr.code ? previous.count : (previous?.count ?? 0) + 1),
    };
    await this.redis.client.set(this.qrKey(instanceId), JSON.stringify(stored), 'PX', QR_TTL_MS);
  }

  async latestQr(instanceId: string): Promise<StoredQr | null> {
    const raw = await this.redis.client.get(this.qrKey(instanceId));
    return raw ? (JSON.parse(raw) as StoredQr) : null;
  }

  private runningKey(instanceId: string): string {
    return this.redis.key('connection', instanceId, 'running');
  }

  private qrKey(instanceId: string): string {
    return this.redis.key('connection', instanceId, 'qr');
  }

  private endedAtKey(instanceId: string): string {
    return this.redis.key('connection', instanceId, 'ended-at');
  }

  private pairingKey(instanceId: string): string {
    return this.redis.key('connection', instanceId, 'pairing-number');
  }
}
