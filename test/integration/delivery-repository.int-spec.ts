import { AppConfig } from '@/config/app-config';
import { PrismaService } from '@/database/prisma.service';
import { DeliveryRepository } from '@/modules/webhooks/delivery.repository';
import { IsolatedEnv, isolatedEnv } from '../setup/test-env';

describe(DeliveryRepository.name, () => {
  let isolated: IsolatedEnv;
  let prisma: PrismaService;
  let sut: DeliveryRepository;

  beforeAll(async () => {
    isolated = await isolatedEnv();
    prisma = new PrismaService(new AppConfig(isolated.env));
    sut = new DeliveryRepository(prisma);
  });
  afterAll(async () => {
    await prisma.onModuleDestroy();
    await isolated.cleanup();
  });

  const second = 1000;
  const at = (base: Date, ms: number) => new Date(base.getTime() + ms);

  async function delivery(
    status: 'pending' | 'retrying' | 'succeeded' | 'dead',
    nextAttemptAt: Date | null,
    leaseUntil: Date | null = null,
  ) {
    const client = await prisma.client.create({ data: { name: 'c' } });
    const row = await prisma.webhookDelivery.create({
      data: {
        clientId: client.id,
        instanceId: '00000000-0000-4000-8000-000000000001',
        event: 'messages.upsert',
        payload: {},
        url: 'https://example.com/hook',
        status,
        nextAttemptAt,
        leaseUntil,
      },
    });
    return { clientId: client.id, id: row.id };
  }

  describe('claimForClient', () => {
    it('lets exactly one of several simultaneous attempts take a due delivery', async () => {
      const now = new Date();
      const d = await delivery('retrying', at(now, -second));
      const claims = await Promise.all(
        Array.from({ length: 5 }, () => sut.claimForClient(d.clientId, d.id, now, now, at(now, 30 * second))),
      );
      expect(claims.filter(Boolean)).toHaveLength(1);
      expect(
        await sut.claimForClient(d.clientId, d.id, at(now, 29 * second), at(now, 29 * second), at(now, 60 * second)),
      ).toBe(false);
    });

    it('lets a new attempt take a delivery whose attempt never finished once the lease has run out', async () => {
      const now = new Date();
      const d = await delivery('pending', at(now, -60 * second), at(now, -second));
      expect(await sut.claimForClient(d.clientId, d.id, now, now, at(now, 30 * second))).toBe(true);
    });

    it('never takes a delivery that is not due, has succeeded or is dead', async () => {
      const now = new Date();
      const notDue = await delivery('retrying', at(now, 10 * second));
      const succeeded = await delivery('succeeded', null);
      const dead = await delivery('dead', null);
      for (const d of [notDue, succeeded, dead])
        expect(await sut.claimForClient(d.clientId, d.id, now, now, at(now, 30 * second))).toBe(false);
    });

    it('cannot take another client’s delivery', async () => {
      const now = new Date();
      const mine = await delivery('pending', at(now, -second));
      const other = await delivery('pending', at(now, -second));
      expect(await sut.claimForClient(other.clientId, mine.id, now, now, at(now, 30 * second))).toBe(false);
      expect((await prisma.webhookDelivery.findUniqueOrThrow({ where: { id: mine.id } })).leaseUntil).toBeNull();
    });

    it('frees the delivery when the outcome is recorded', async () => {
      const now = new Date();
      const d = await delivery('pending', at(now, -second));
      expect(await sut.claimForClient(d.clientId, d.id, now, now, at(now, 30 * second))).toBe(true);
      await sut.recordFailureForClient(d.clientId, d.id, 500, 'endpoint answered 500', at(now, -second));
      expect(await sut.claimForClient(d.clientId, d.id, now, now, at(now, 30 * second))).toBe(true);
    });
  });

  describe('listDueForSystem', () => {
    it('lists due deliveries that no attempt holds', async () => {
      const now = new Date();
      const due = await delivery('retrying', at(now, -10 * second));
      const expired = await delivery('pending', at(now, -60 * second), at(now, -10 * second));
      const held = await delivery('pending', at(now, -60 * second), at(now, 10 * second));
      const later = await delivery('retrying', at(now, 10 * second));
      const listed = (await sut.listDueForSystem(now, 1000)).map((d) => d.id);
      expect(listed).toEqual(expect.arrayContaining([due.id, expired.id]));
      expect(listed).not.toContain(held.id);
      expect(listed).not.toContain(later.id);
    });
  });
});
