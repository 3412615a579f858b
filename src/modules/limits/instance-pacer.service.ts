import { Injectable } from '@nestjs/common';
import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { RateLimitedError } from '@/common/errors/app-error';
import { RedisService } from '@/common/redis/redis.service';
import { DailyCapCheck } from './daily-cap.service';

/**
 * A send's admission in one round trip, on Redis' clock so every process agrees: a unit of the instance's daily cap
 * (unless ARGV[3] is '-') and its next pacing slot, both or neither. Slots are moments a message reaches WhatsApp: a
 * send the upstream holds for `delay` ms (ARGV[6]) leaves that much before its slot. KEYS: the cap's counter, the
 * pacing key (when the instance's next message may reach WhatsApp). ARGV: cap, cap TTL, the day's count to seed a
 * missing counter with ('' when not loaded yet), gap, longest wait, delay. Returns {slot, wait} (wait: until the send
 * leaves); {-2, 0} asks for the seed, {-1, 0} means the cap is reached, {-3, wait} that the slot is further away than
 * the caller may wait.
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
local delay = tonumber(ARGV[6])
local slot = math.max(now + delay, tonumber(redis.call('GET', KEYS[2]) or '0'))
local wait = slot - delay - now
if wait > tonumber(ARGV[5]) then return {-3, wait} end
local nextSlot = slot + tonumber(ARGV[4])
redis.call('SET', KEYS[2], nextSlot, 'PX', nextSlot - now + 60000)
if capped then redis.call('INCR', KEYS[1]) end
return {slot, wait}
`;

/**
 * Lets a send leave only when it would reach WhatsApp (now plus its upstream `delay`, ARGV[2]) at least the minimum
 * gap after the instance's previous message did, and records that moment as the latest. Returns how long to wait
 * first (0: go now).
 */
const DEPART = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local arrives = now + tonumber(ARGV[2])
local wait = tonumber(redis.call('GET', KEYS[1]) or '0') + tonumber(ARGV[1]) - arrives
if wait > 0 then return wait end
redis.call('SET', KEYS[1], arrives, 'PX', arrives - now + tonumber(ARGV[1]) + 60000)
return 0
`;

/** WhatsApp Web numbers sending faster than one message a second get banned; only an operator may allow it. */
export const BAILEYS_MIN_INTERVAL_MS = 1000;
const BAILEYS = 'WHATSAPP-BAILEYS';

/**
 * The pacing an instance's sends get: the client's, with the interval raised to BAILEYS_MIN_INTERVAL_MS on a
 * WhatsApp Web (Baileys) instance unless the operator set the client's pacing override.
 */
export function pacingFor(limits: PacingSettings & { pacingOverride: boolean }, integration: string): PacingSettings {
  const floor = integration === BAILEYS && !limits.pacingOverride ? BAILEYS_MIN_INTERVAL_MS : 0;
  return {
    sendIntervalMs: Math.max(floor, limits.sendIntervalMs),
    jitterMinMs: limits.jitterMinMs,
    jitterMaxMs: limits.jitterMaxMs,
  };
}

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
   * than `maxWaitMs` away, in one script; returns when the send should leave (epoch ms, local clock): its slot minus
   * the `delayMs` the upstream holds it for. A full cap, or a later slot, is refused with 429 and a Retry-After
   * saying when to come back, and takes nothing.
   */
  async admit(
    instanceId: string,
    settings: PacingSettings,
    maxWaitMs: number,
    cap: DailyCapCheck | null,
    delayMs = 0,
  ): Promise<number> {
    const paced = settings.sendIntervalMs > 0 || settings.jitterMaxMs > 0;
    const gap = paced ? settings.sendIntervalMs + jitter(settings) + PACING_SAFETY_MS : 0;
    const keys = [cap?.key ?? this.redis.key('cap', 'none'), this.redis.key('pace', instanceId)];
    const run = async (seed: string) =>
      (await this.redis.client.eval(
        ADMIT,
        2,
        ...keys,
        cap?.limit ?? 0,
        cap?.ttlSeconds ?? 0,
        seed,
        gap,
        maxWaitMs,
        delayMs,
      )) as [number, number];
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
  async depart(instanceId: string, settings: PacingSettings, delayMs = 0): Promise<void> {
    if (settings.sendIntervalMs <= 0) return;
    const minGap = settings.sendIntervalMs + PACING_SAFETY_MS;
    for (;;) {
      const wait = (await this.redis.client.eval(
        DEPART,
        1,
        this.redis.key('pace', instanceId, 'departed'),
        minGap,
        delayMs,
      )) as number;
      if (wait <= 0) return;
      await sleep(wait);
    }
  }
}

function jitter({ jitterMinMs, jitterMaxMs }: PacingSettings): number {
  return jitterMaxMs > jitterMinMs ? randomInt(jitterMinMs, jitterMaxMs + 1) : jitterMinMs;
}
