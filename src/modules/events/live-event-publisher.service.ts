import { Injectable, Logger } from '@nestjs/common';
import { RedisService } from '@/common/redis/redis.service';
import { encodeLiveEvent, LIVE_EVENTS_CHANNEL, LiveEvent, LiveEventOwner } from './live-event';

/** Upstream repeats remembered per process: an event's dedupe key, for as many recent events as this. */
const RECENT_KEYS_KEPT = 10_000;

/**
 * Publishes live events to Redis, from whichever process handled them (the webhook receiver in an API process, the
 * bulk driver in a worker); the API processes holding that client's `/ws` sockets fan them out.
 */
@Injectable()
export class LiveEventPublisher {
  private readonly logger = new Logger(LiveEventPublisher.name);
  /** Dedupe keys of recent events, oldest first (a Map keeps insertion order). */
  private readonly recent = new Map<string, true>();
  private lastErrorLog = 0;

  constructor(private readonly redis: RedisService) {}

  /**
   * Publishes `event` on its client's channel; with a `dedupeKey` (the webhook receiver's), once per process, as the
   * upstream repeats an event whose webhook it thinks failed (a repeat that reaches another process goes out twice;
   * the stored tenant webhooks are the exactly-once record). Live events are a convenience beside the stored webhooks
   * and the HTTP API, so a Redis failure here is logged and does not fail the work that produced the event.
   */
  async publish(owner: LiveEventOwner, event: LiveEvent, dedupeKey: string | null = null): Promise<void> {
    if (dedupeKey !== null && this.seen(`${owner.instanceId} ${dedupeKey}`)) return;
    try {
      await this.redis.client.publish(
        this.redis.key(LIVE_EVENTS_CHANNEL, owner.clientId),
        encodeLiveEvent(owner, event),
      );
    } catch (err) {
      const now = Date.now();
      if (now - this.lastErrorLog < 10000) return;
      this.lastErrorLog = now;
      this.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'Could not publish a live event');
    }
  }

  /**
   * Whether some API process holds a socket that would receive this client's events: a subscriber on its channel, or
   * an operator's pattern subscription. Lets a producer skip building an event nobody would get (one Redis round trip
   * instead of its Postgres reads); false when Redis cannot say, as a publish would fail too.
   */
  async watched(clientId: number): Promise<boolean> {
    try {
      const answers = await this.redis.client
        .pipeline()
        .call('PUBSUB', 'NUMSUB', this.redis.key(LIVE_EVENTS_CHANNEL, clientId))
        .call('PUBSUB', 'NUMPAT')
        .exec();
      const [[, numsub], [, numpat]] = (answers ?? []) as [[unknown, [string, number]], [unknown, number]];
      return Number(numsub?.[1] ?? 0) > 0 || Number(numpat ?? 0) > 0;
    } catch {
      return false;
    }
  }

  private seen(key: string): boolean {
    if (this.recent.has(key)) return true;
    this.recent.set(key, true);
    if (this.recent.size > RECENT_KEYS_KEPT) this.recent.delete(this.recent.keys().next().value!);
    return false;
  }
}
