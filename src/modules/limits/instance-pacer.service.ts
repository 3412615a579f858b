import { Injectable } from '@nestjs/common';
import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { RateLimitedError } from '@/common/errors/app-error';
import { RedisService } from '@/common/redis/redis.service';
import { DailyCapCheck } from './daily-cap.service';

/**
 * A send's admission in one round trip, on Redis' clock so every process agrees: a unit of the instance's daily cap
 * (unless ARGV[3] is '-') and its next pacing slot, both or neither. KEYS: the cap's counter, the pacing key (when the
 * instance may send next). ARGV: cap, cap TTL, the day's count to seed a missing counter with ('' when not loaded yet),
 * gap, longest wait. Returns {slot, wait}; {-2, 0} asks for the seed, {-1, 0} means the cap is reached, {-3, wait}
 * that the slot is further away than the caller may wait.
 */
const ADMIT = `
local capped = ARGV[3] ~= '-'
if capped then
  if redis.call('EXISTS', KEYS[1]) == 0 then
    if ARGV[3] == '' then return {-2, 0} end
    redis.call('SET', KEYS[1], ARGV[3], 'EX', ARGV[2], 'NX')
  end
  if tonumber(redis.call('GET', KEYS[1])) >= tonumber(ARGV[1]) then return {-1, 0} end
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local slot = math.max(now, tonumber(redis.call('GET', KEYS[2]) or '0'))
local wait = slot - now
if wait > tonumber(ARGV[5]) then return {-3, wait} end
local nextSlot = slot + tonumber(ARGV[4])
redis.call('SET', KEYS[2], nextSlot, 'PX', nextSlot - now + 60000)
if capped then redis.call('INCR', KEYS[1]) end
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
 * Added to every gap. The gap is checked when a send leaves the pacer, but the upstream sees it arrive after the
 * process has written it to the socket, which a busy machine can delay by tens of milliseconds for one send and not
 * the next: measured between arrivals, a 30 ms margin came out 3 ms short of the promised minimum under load.
 */
export const PACING_SAFETY_MS = 100;

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
   * Takes a unit of the daily cap (`cap`; none for an attempt that already holds one) and reserves a slot no further
   * than `maxWaitMs` away, in one script; returns when the slot is (epoch ms, local clock). A full cap, or a later
   * slot, is refused with 429 and a Retry-After saying when to come back, and takes nothing.
   */
  async admit(instanceId: string, settings: PacingSettings, maxWaitMs: number, cap: DailyCapCheck | null): Promise<number> {
    const paced = settings.sendIntervalMs > 0 || settings.jitterMaxMs > 0;
    const gap = paced ? settings.sendIntervalMs + jitter(settings) + PACING_SAFETY_MS : 0;
    const keys = [cap?.key ?? this.redis.key('cap', 'none'), this.redis.key('pace', instanceId)];
    const run = async (seed: string) =>
      (await this.redis.client.eval(ADMIT, 2, ...keys, cap?.limit ?? 0, cap?.ttlSeconds ?? 0, seed, gap, maxWaitMs)) as [number, number];
    let [slot, wait] = await run(cap ? '' : '-');
    if (slot === -2 && cap) [slot, wait] = await run(String(await cap.loadSentToday()));
    if (slot === -1 && cap) throw cap.reached();
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
