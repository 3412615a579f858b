import { Injectable } from '@nestjs/common';
import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { RateLimitedError } from '@/common/errors/app-error';
import { RedisService } from '@/common/redis/redis.service';

/**
 * Reserves the instance's next send slot atomically, on Redis' clock so every process agrees. The key holds when
 * the instance may send next; a reservation moves it one gap further. Returns {slot, wait} or {-1, wait} when the
 * slot is further away than the caller may wait.
 */
const RESERVE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local nextFree = tonumber(redis.call('GET', KEYS[1]) or '0')
local slot = math.max(now, nextFree)
local wait = slot - now
if wait > tonumber(ARGV[2]) then return {-1, wait} end
local nextSlot = slot + tonumber(ARGV[1])
redis.call('SET', KEYS[1], nextSlot, 'PX', nextSlot - now + 60000)
return {slot, wait}
`;

/**
 * Lets a send leave only when the instance's previous send left at least the minimum gap ago, and records it as the
 * latest. Returns how long to wait first (0: go now).
 */
const DEPART = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local wait = tonumber(redis.call('GET', KEYS[1]) or '0') + tonumber(ARGV[1]) - now
if wait > 0 then return wait end
redis.call('SET', KEYS[1], now, 'PX', tonumber(ARGV[1]) + 60000)
return 0
`;

/**
 * Added to every gap: the first send of a burst leaves a few ms after its slot (its log row is written first), so
 * without it the next gap, measured between arrivals, could come out a few ms short of the promised minimum.
 */
export const PACING_SAFETY_MS = 30;

export interface PacingSettings {
  sendIntervalMs: number;
  jitterMinMs: number;
  jitterMaxMs: number;
}

/**
 * The anti-ban pacing of the reference's best practices: one schedule per instance, shared by single sends and
 * bulks across every process. Consecutive sends are at least `sendIntervalMs` plus a random jitter apart.
 */
@Injectable()
export class InstancePacerService {
  constructor(private readonly redis: RedisService) {}

  /**
   * Reserves a slot no further than `maxWaitMs` away and returns when it is (epoch ms, local clock); a later slot is
   * refused with 429 and a Retry-After saying when to come back.
   */
  async reserve(instanceId: string, settings: PacingSettings, maxWaitMs: number): Promise<number> {
    const paced = settings.sendIntervalMs > 0 || settings.jitterMaxMs > 0;
    const gap = paced ? settings.sendIntervalMs + jitter(settings) + PACING_SAFETY_MS : 0;
    const [slot, wait] = (await this.redis.client.eval(RESERVE, 1, this.redis.key('pace', instanceId), gap, maxWaitMs)) as [number, number];
    if (slot < 0) {
      throw new RateLimitedError(
        `Instance is pacing its sends to avoid a WhatsApp ban; its next free slot is ${Math.ceil(wait / 1000)} seconds away`,
        wait / 1000,
        'INSTANCE_PACING',
      );
    }
    return Date.now() + wait;
  }

  /**
   * Called when a reserved slot comes, right before the send leaves. Slots are spaced on the schedule, but a busy
   * process can wake a send late and the next one on time, so the minimum gap is also checked against when the
   * previous send actually left.
   */
  async depart(instanceId: string, settings: PacingSettings): Promise<void> {
    if (settings.sendIntervalMs <= 0) return;
    const minGap = settings.sendIntervalMs + PACING_SAFETY_MS;
    for (;;) {
      const wait = (await this.redis.client.eval(DEPART, 1, this.redis.key('pace', instanceId, 'departed'), minGap)) as number;
      if (wait <= 0) return;
      await sleep(wait);
    }
  }
}

function jitter({ jitterMinMs, jitterMaxMs }: PacingSettings): number {
  return jitterMaxMs > jitterMinMs ? randomInt(jitterMinMs, jitterMaxMs + 1) : jitterMinMs;
}
