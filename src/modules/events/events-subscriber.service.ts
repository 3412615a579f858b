import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import Redis from 'ioredis';
import { RedisService } from '@/common/redis/redis.service';
import { decodeLiveEvent, LIVE_EVENTS_CHANNEL } from './live-event';
import { InterestChange, LiveSockets } from './live-sockets';

/**
 * The API process's subscriptions to live events, on a connection of its own (a subscribed connection can do nothing
 * else): one channel per client whose sockets this process holds, and every client's channel, by pattern, while an
 * operator's socket is open. ioredis re-subscribes them after a reconnect. Events published while it is down are
 * lost, as with any Redis pub/sub; sockets catch up through the HTTP API.
 */
@Injectable()
export class EventsSubscriber implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(EventsSubscriber.name);
  private connection: Redis | undefined;
  private lastErrorLog = 0;

  constructor(
    private readonly redis: RedisService,
    private readonly sockets: LiveSockets,
  ) {}

  onModuleInit(): void {
    const connection = this.redis.client.duplicate({ connectionName: 'nm-events' });
    this.connection = connection;
    connection.on('error', (err: Error) => this.logError(err));
    connection.on('message', (_channel: string, raw: string) => this.deliver(raw, 'client'));
    connection.on('pmessage', (_pattern: string, _channel: string, raw: string) => this.deliver(raw, 'operators'));
    this.sockets.onInterest = (change) => void this.follow(change);
  }

  async onModuleDestroy(): Promise<void> {
    await this.connection?.quit().catch(() => this.connection?.disconnect());
  }

  private deliver(raw: string, to: 'client' | 'operators'): void {
    const decoded = decodeLiveEvent(raw);
    if (decoded) this.sockets.deliver(decoded.owner, decoded.json, to);
  }

  /** Subscribes to (or leaves) a client's channel, or every client's for operators; errors are logged. */
  async follow({ clientId, listening }: InterestChange): Promise<void> {
    const connection = this.connection;
    if (!connection) return;
    try {
      if (clientId === null) {
        const pattern = this.redis.key(LIVE_EVENTS_CHANNEL, '*');
        await (listening ? connection.psubscribe(pattern) : connection.punsubscribe(pattern));
      } else {
        const channel = this.redis.key(LIVE_EVENTS_CHANNEL, clientId);
        await (listening ? connection.subscribe(channel) : connection.unsubscribe(channel));
      }
    } catch (err) {
      this.logError(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private logError(err: Error): void {
    const now = Date.now();
    if (now - this.lastErrorLog < 10000) return;
    this.lastErrorLog = now;
    this.logger.warn({ err: err.message }, 'Redis connection error (live events)');
  }
}
