import { RedisService } from '@/common/redis/redis.service';
import { AppConfig } from '@/config/app-config';
import { DailyCapService } from '@/modules/limits/daily-cap.service';
import {
  BAILEYS_MIN_INTERVAL_MS,
  InstancePacerService,
  PACING_SAFETY_MS,
  pacingFor,
} from '@/modules/limits/instance-pacer.service';
import { IsolatedEnv, isolatedEnv } from '../setup/test-env';

const ONE_SECOND = { sendIntervalMs: 1000, jitterMinMs: 0, jitterMaxMs: 0 };

describe(InstancePacerService.name, () => {
  let isolated: IsolatedEnv;
  let redis: RedisService;
  let sut: InstancePacerService;
  let caps: DailyCapService;

  beforeAll(async () => {
    isolated = await isolatedEnv();
    redis = new RedisService(new AppConfig(isolated.env));
    sut = new InstancePacerService(redis);
    caps = new DailyCapService(redis);
  });
  afterAll(async () => {
    await redis.onModuleDestroy();
    await isolated.cleanup();
  });

  it('spaces reserved slots one gap apart, per instance', async () => {
    const first = await sut.admit('pace-a', ONE_SECOND, 5000, null);
    const second = await sut.admit('pace-a', ONE_SECOND, 5000, null);
    const other = await sut.admit('pace-b', ONE_SECOND, 5000, null);
    expect(second - first).toBeGreaterThanOrEqual(1000);
    expect(other).toBeLessThan(second);
  });

  it('paces the moment a message reaches WhatsApp: a send the upstream holds for a delay leaves that much earlier', async () => {
    const start = Date.now();
    const delayed = await sut.admit('pace-delay', ONE_SECOND, 15000, null, 3000);
    const next = await sut.admit('pace-delay', ONE_SECOND, 15000, null);
    // The delayed one leaves now and reaches WhatsApp in 3 s; the next may only reach it a gap after that.
    expect(delayed - start).toBeLessThan(500);
    expect(next - (delayed + 3000)).toBeGreaterThanOrEqual(1000);
    // The departure check counts the delay too: the next send may leave only once the gap after the delayed one's arrival has passed.
    await sut.depart('pace-delay', ONE_SECOND, 3000);
    const arrived = Number(await redis.client.get(redis.key('pace', 'pace-delay', 'departed')));
    expect(arrived - Date.now()).toBeGreaterThan(2000);
  });

  it('raises the interval to one second on WhatsApp Web instances unless the operator overrode it', () => {
    const fast = { sendIntervalMs: 0, jitterMinMs: 0, jitterMaxMs: 0 };
    expect(pacingFor({ ...fast, pacingOverride: false }, 'WHATSAPP-BAILEYS').sendIntervalMs).toBe(
      BAILEYS_MIN_INTERVAL_MS,
    );
    expect(pacingFor({ ...fast, pacingOverride: true }, 'WHATSAPP-BAILEYS').sendIntervalMs).toBe(0);
    expect(pacingFor({ ...fast, pacingOverride: false }, 'WHATSAPP-BUSINESS').sendIntervalMs).toBe(0);
    expect(pacingFor({ ...fast, sendIntervalMs: 2500, pacingOverride: false }, 'WHATSAPP-BAILEYS').sendIntervalMs).toBe(
      2500,
    );
  });

  it('refuses a slot further away than the caller may wait, saying when to come back', async () => {
    await sut.admit('pace-c', ONE_SECOND, 5000, null);
    await expect(sut.admit('pace-c', ONE_SECOND, 100, null)).rejects.toMatchObject({ code: 'INSTANCE_PACING' });
  });

  it('takes a unit of the daily cap with the slot, seeds the count from the loader once, and takes neither when refused', async () => {
    const unpaced = { sendIntervalMs: 0, jitterMinMs: 0, jitterMaxMs: 0 };
    const loads: number[] = [];
    const cap = caps.check('cap-a', 3, () => (loads.push(1), Promise.resolve(1)));
    await sut.admit('cap-a', unpaced, 5000, cap);
    await sut.admit('cap-a', unpaced, 5000, cap);
    expect(loads).toHaveLength(1);
    await expect(sut.admit('cap-a', unpaced, 5000, cap)).rejects.toMatchObject({ code: 'DAILY_CAP_REACHED' });
    await caps.giveBack('cap-a');
    await sut.admit('cap-a', unpaced, 5000, cap);
    // A slot too far away takes no unit of the cap: after it, the one freed unit is still there.
    const paced = caps.check('cap-b', 2, () => Promise.resolve(0));
    await sut.admit('cap-b', ONE_SECOND, 5000, paced);
    await expect(sut.admit('cap-b', ONE_SECOND, 100, paced)).rejects.toMatchObject({ code: 'INSTANCE_PACING' });
    await expect(sut.admit('cap-b', ONE_SECOND, 5000, paced)).resolves.toBeGreaterThan(0);
    await expect(sut.admit('cap-b', ONE_SECOND, 5000, paced)).rejects.toMatchObject({ code: 'DAILY_CAP_REACHED' });
  });

  it('holds a departure until the minimum gap after the previous send actually left, even when that one left late', async () => {
    // The departure times are read where the pacer records them (Redis' clock), not from when this process saw
    // the calls return, which a busy machine can delay.
    const departed = () => redis.client.get(redis.key('pace', 'pace-d', 'departed')).then(Number);
    // The previous send woke late: it leaves now, and the next one is due at once.
    await sut.depart('pace-d', ONE_SECOND);
    const previous = await departed();
    await sut.depart('pace-d', ONE_SECOND);
    expect((await departed()) - previous).toBeGreaterThanOrEqual(1000 + PACING_SAFETY_MS);
  });

  it('never holds one instance for another', async () => {
    await sut.depart('pace-e', ONE_SECOND);
    const started = Date.now();
    await sut.depart('pace-f', ONE_SECOND);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
