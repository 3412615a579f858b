import { RedisService } from '@/common/redis/redis.service';
import { AppConfig } from '@/config/app-config';
import { PrismaService } from '@/database/prisma.service';
import { OptOutRepository } from '@/modules/opt-outs/opt-out.repository';
import { OptOutLookup } from '@/modules/opt-outs/opt-out-lookup.service';
import { IsolatedEnv, isolatedEnv } from '../setup/test-env';
import { waitFor } from '../setup/wait-for';

/** A repository that counts its reads, to tell a cached answer from a database one. */
class CountingRepository extends OptOutRepository {
  loads = 0;
  probes = 0;
  override allNumbersForClient(clientId: number, limit: number) {
    this.loads += 1;
    return super.allNumbersForClient(clientId, limit);
  }
  override hasForClient(clientId: number, number: string) {
    this.probes += 1;
    return super.hasForClient(clientId, number);
  }
}

/**
 * The send path's opt-out check as two processes see it: each keeps its own copy of a client's list, and a change
 * made through either reaches the other through Redis before its next send.
 */
describe(OptOutLookup.name, () => {
  let isolated: IsolatedEnv;
  let prisma: PrismaService;
  let redisA: RedisService;
  let redisB: RedisService;
  let repoA: CountingRepository;
  let repoB: CountingRepository;
  let a: OptOutLookup;
  let b: OptOutLookup;
  let clientId: number;

  beforeAll(async () => {
    isolated = await isolatedEnv();
    const config = new AppConfig(isolated.env);
    prisma = new PrismaService(config);
    [redisA, redisB] = [new RedisService(config), new RedisService(config)];
    [repoA, repoB] = [new CountingRepository(prisma), new CountingRepository(prisma)];
    [a, b] = [new OptOutLookup(repoA, redisA), new OptOutLookup(repoB, redisB)];
    a.onModuleInit();
    b.onModuleInit();
    clientId = (await prisma.client.create({ data: { name: 'lookup' } })).id;
    // Copies are used once the notice channel listens.
    await waitFor(() => a['listening'] && b['listening'], 5000, 'both lookups to listen');
  });
  afterAll(async () => {
    await Promise.all([a.onModuleDestroy(), b.onModuleDestroy()]);
    await Promise.all([redisA.onModuleDestroy(), redisB.onModuleDestroy()]);
    await prisma.onModuleDestroy();
    await isolated.cleanup();
  });

  it('reads a client’s list once, then answers from the copy', async () => {
    expect(await a.isOptedOut(clientId, '254712000001')).toBe(false);
    expect(await a.isOptedOut(clientId, '254712000002')).toBe(false);
    expect(repoA.loads).toBe(1);
    expect(repoA.probes).toBe(0);
  });

  it('drops every process’s copy when the list changes in one of them', async () => {
    expect(await b.isOptedOut(clientId, '254712000003')).toBe(false);
    await repoA.addManyForClient(clientId, ['254712000003'], 'api');
    await a.changed(clientId);
    expect(await a.isOptedOut(clientId, '254712000003')).toBe(true);
    await waitFor(() => b.isOptedOut(clientId, '254712000003'), 2000, 'the other process to see the opt-out');

    await repoB.removeForClient(clientId, '254712000003');
    await b.changed(clientId);
    expect(await b.isOptedOut(clientId, '254712000003')).toBe(false);
    await waitFor(async () => !(await a.isOptedOut(clientId, '254712000003')), 2000, 'the opt-in everywhere');
  });

  it('asks Postgres for each number while it cannot hear change notices', async () => {
    a['listening'] = false;
    try {
      const probes = repoA.probes;
      await repoA.addManyForClient(clientId, ['254712000004'], 'api');
      expect(await a.isOptedOut(clientId, '254712000004')).toBe(true);
      expect(repoA.probes).toBe(probes + 1);
    } finally {
      a['listening'] = true;
    }
  });
});
