import { RedisService } from '@/common/redis/redis.service';
import { AppConfig } from '@/config/app-config';
import { InstancePacerService, PACING_SAFETY_MS } from '@/modules/limits/instance-pacer.service';
import { IsolatedEnv, isolatedEnv } from '../setup/test-env';

const ONE_SECOND = { sendIntervalMs: 1000, jitterMinMs: 0, jitterMaxMs: 0 };

describe(InstancePacerService.name, () => {
  let isolated: IsolatedEnv;
  let redis: RedisService;
  let sut: InstancePacerService;

  beforeAll(async () => {
    isolated = await isolatedEnv();
    redis = new RedisService(new AppConfig(isolated.env));
    sut = new InstancePacerService(redis);
  });
  afterAll(async () => {
    await redis.onModuleDestroy();
    await isolated.cleanup();
  });

  it('spaces reserved slots one gap apart, per instance', async () => {
    const first = await sut.reserve('pace-a', ONE_SECOND, 5000);
    const second = await sut.reserve('pace-a', ONE_SECOND, 5000);
    const other = await sut.reserve('pace-b', ONE_SECOND, 5000);
    expect(second - first).toBeGreaterThanOrEqual(1000);
    expect(other).toBeLessThan(second);
  });

  it('refuses a slot further away than the caller may wait, saying when to come back', async () => {
    await sut.reserve('pace-c', ONE_SECOND, 5000);
    await expect(sut.reserve('pace-c', ONE_SECOND, 100)).rejects.toMatchObject({ code: 'INSTANCE_PACING' });
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
