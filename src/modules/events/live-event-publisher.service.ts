import { Injectable, Logger } from '@nestjs/common';
import { RedisService } from '@/common/redis/redis.service';
import { encodeLiveEvent, LIVE_EVENTS_CHANNEL, LiveEvent, LiveEventOwner } from './live-event';

/** How long an event's dedupe key is remembered: longer than the upstream keeps retrying a webhook (about 20 min). */
const DEDUPE_TTL_SECONDS = 3600;

/** Remembers the key and publishes only the first time, in one round trip. */
const PUBLISH_ONCE = `
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[3]) then
  return redis.call('PUBLISH', ARGV[1], ARGV[2])
end
return -1`;

/**
 * Publishes live events to Redis, from whichever process handled them (the webhook receiver in an API process, the
 * bulk driver in a worker); every API process fans them out to its `/ws` sockets.
 */
@Injectable()
export class LiveEventPublisher {
  private readonly logger = new Logger(LiveEventPublisher.name);
  private readonly channel: string;
  private lastErrorLog = 0;

  constructor(private readonly redis: RedisService) {
    this.channel = redis.key(LIVE_EVENTS_CHANNEL);
  }

  /**
   * Publishes `event` for its owner's sockets; with a `dedupeKey` (the webhook receiver's), only the first time, as
   * the upstream repeats events. Live events are a convenience beside the stored webhooks and the HTTP API, so a
   * Redis failure here is logged and does not fail the work that produced the event.
   */
  async publish(owner: LiveEventOwner, event: LiveEvent, dedupeKey: string | null = null): Promise<void> {
    const message = encodeLiveEvent(owner, event);
    try {
      if (dedupeKey === null) await this.redis.client.publish(this.channel, message);
      else {
        const key = this.redis.key('live-seen', owner.instanceId, dedupeKey);
        await this.redis.client.eval(PUBLISH_ONCE, 1, key, this.channel, message, DEDUPE_TTL_SECONDS);
      }
    } catch (err) {
      const now = Date.now();
      if (now - this.lastErrorLog < 10000) return;
      this.lastErrorLog = now;
      this.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'Could not publish a live event');
    }
  }
}
