import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import Redis from 'ioredis';
import { RedisService } from '@/common/redis/redis.service';
import { decodeLiveEvent, LIVE_EVENTS_CHANNEL } from './live-event';
import { LiveSockets } from './live-sockets';

/**
 * The API process's subscription to the live events channel: a connection of its own (a subscribed connection can do
 * nothing else), which ioredis re-subscribes after a reconnect. Events published while it is down are lost, as with
 * any Redis pub/sub; sockets catch up through the HTTP API.
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

  async onModuleInit(): Promise<void> {
    const channel = this.redis.key(LIVE_EVENTS_CHANNEL);
    const connection = this.redis.client.duplicate({ connectionName: 'nm-events' });
    this.connection = connection;
    connection.on('error', (err: Error) => this.logError(err));
    connection.on('message', (from: string, raw: string) => {
      if (from !== channel) return;
      const decoded = decodeLiveEvent(raw);
      if (decoded) this.sockets.deliver(decoded.owner, decoded.json);
    });
    await connection.subscribe(channel);
  }

  async onModuleDestroy(): Promise<void> {
    await this.connection?.quit().catch(() => this.connection?.disconnect());
  }

  private logError(err: Error): void {
    const now = Date.now();
    if (now - this.lastErrorLog < 10000) return;
    this.lastErrorLog = now;
    this.logger.warn({ err: err.message }, 'Redis connection error (live events)');
  }
}
