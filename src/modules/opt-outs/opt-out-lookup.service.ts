import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import Redis from 'ioredis';
import { RedisService } from '@/common/redis/redis.service';
import { OptOutRepository } from './opt-out.repository';

/** A client's list is copied into the process only up to this many numbers; a longer one is asked per send. */
export const CACHED_NUMBERS_PER_CLIENT = 20_000;
/** A bound on memory: past this many cached numbers in all, the oldest copies are dropped. */
const CACHED_NUMBERS_TOTAL = 500_000;
/** A copy is read again after this long even without a change notice, in case a notice was lost. */
const CACHE_TTL_MS = 60_000;
/** The Redis channel (under the install's key prefix) that says which client's list changed. */
export const OPT_OUT_CHANGES_CHANNEL = 'opt-out-changes';

interface CachedList {
  /** The client's numbers, or null when the list is too long to copy (then each send asks Postgres). */
  numbers: Set<string> | null;
  until: number;
}

/**
 * Answers the send path's "is this number opted out?" for every surface (v1, bulk, pass-through). A client's list is
 * copied into the process once (at most CACHED_NUMBERS_PER_CLIENT numbers) and dropped when it changes: the process
 * that changes it drops its copy at once and tells every other process through Redis pub/sub, so a STOP received by
 * any process stops sends in every process within the notice's delivery (milliseconds). While the notice channel is
 * down no copy is used, so a lost notice cannot keep a stale copy alive; each send then costs one index probe, as a
 * long list always does.
 */
@Injectable()
export class OptOutLookup implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(OptOutLookup.name);
  private readonly lists = new Map<number, CachedList>();
  private readonly loading = new Map<number, Promise<CachedList>>();
  /** Bumped by every change notice: a copy read before the change is served once, never kept. */
  private readonly generations = new Map<number, number>();
  private cachedTotal = 0;
  private subscriber: Redis | undefined;
  /** Whether change notices arrive: copies are used only then. */
  private listening = false;
  private lastErrorLog = 0;

  constructor(
    private readonly optOuts: OptOutRepository,
    private readonly redis: RedisService,
  ) {}

  onModuleInit(): void {
    // Subscribed by hand on every (re)connect, so `listening` turns true only once notices really arrive.
    const subscriber = this.redis.client.duplicate({ connectionName: 'nm-opt-outs', autoResubscribe: false });
    this.subscriber = subscriber;
    subscriber.on('error', (err: Error) => this.logError('Redis connection error (opt-out notices)', err));
    subscriber.on('message', (_channel: string, raw: string) => this.forget(Number(raw)));
    subscriber.on('ready', () => void this.listen(subscriber));
    subscriber.on('close', () => {
      this.listening = false;
    });
  }

  /** Notices published while the connection was down are lost: every copy goes before notices are trusted again. */
  private async listen(subscriber: Redis): Promise<void> {
    try {
      await subscriber.subscribe(this.channel());
      this.forgetAll();
      this.listening = true;
    } catch (err) {
      this.logError('Could not subscribe to opt-out notices', err);
    }
  }

  async onModuleDestroy(): Promise<void> {
    await this.subscriber?.quit().catch(() => this.subscriber?.disconnect());
  }

  async isOptedOut(clientId: number, number: string): Promise<boolean> {
    if (!this.listening) return this.optOuts.hasForClient(clientId, number);
    const cached = this.lists.get(clientId);
    const list = cached && cached.until > Date.now() ? cached : await this.load(clientId);
    return list.numbers ? list.numbers.has(number) : this.optOuts.hasForClient(clientId, number);
  }

  /** Called after every change to a client's list, once it is committed. */
  async changed(clientId: number): Promise<void> {
    this.forget(clientId);
    try {
      await this.redis.client.publish(this.channel(), String(clientId));
    } catch (err) {
      // Other processes' copies then expire within CACHE_TTL_MS (or go when their notice channel reconnects).
      this.logError('Could not publish an opt-out change', err);
    }
  }

  private load(clientId: number): Promise<CachedList> {
    let pending = this.loading.get(clientId);
    if (!pending) {
      const generation = this.generations.get(clientId) ?? 0;
      pending = this.optOuts
        .allNumbersForClient(clientId, CACHED_NUMBERS_PER_CLIENT)
        .then((numbers) => {
          const list = { numbers: numbers && new Set(numbers), until: Date.now() + CACHE_TTL_MS };
          if ((this.generations.get(clientId) ?? 0) === generation) this.keep(clientId, list);
          return list;
        })
        .finally(() => this.loading.delete(clientId));
      this.loading.set(clientId, pending);
    }
    return pending;
  }

  private keep(clientId: number, list: CachedList): void {
    this.drop(clientId);
    const size = list.numbers?.size ?? 0;
    // Oldest copies first (a Map keeps insertion order).
    for (const [oldest] of this.lists) {
      if (this.cachedTotal + size <= CACHED_NUMBERS_TOTAL) break;
      this.drop(oldest);
    }
    this.lists.set(clientId, list);
    this.cachedTotal += size;
  }

  private forget(clientId: number): void {
    if (!Number.isSafeInteger(clientId)) return;
    this.generations.set(clientId, (this.generations.get(clientId) ?? 0) + 1);
    this.drop(clientId);
  }

  private forgetAll(): void {
    for (const clientId of [...this.lists.keys(), ...this.loading.keys()]) this.forget(clientId);
  }

  private drop(clientId: number): void {
    const list = this.lists.get(clientId);
    if (!list) return;
    this.cachedTotal -= list.numbers?.size ?? 0;
    this.lists.delete(clientId);
  }

  private channel(): string {
    return this.redis.key(OPT_OUT_CHANGES_CHANNEL);
  }

  private logError(msg: string, err: unknown): void {
    const now = Date.now();
    if (now - this.lastErrorLog < 10000) return;
    this.lastErrorLog = now;
    this.logger.warn({ err: err instanceof Error ? err.message : String(err) }, msg);
  }
}
