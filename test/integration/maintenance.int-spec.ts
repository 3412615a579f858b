import { Logger } from '@nestjs/common';
import { AppConfig } from '@/config/app-config';
import { PrismaService } from '@/database/prisma.service';
import { MaintenanceRepository } from '@/modules/maintenance/maintenance.repository';
import { MaintenanceService, UPSTREAM_EVENT_RETENTION_MS } from '@/modules/maintenance/maintenance.service';
import { IsolatedEnv, isolatedEnv } from '../setup/test-env';

describe(MaintenanceService.name, () => {
  let isolated: IsolatedEnv;
  let prisma: PrismaService;
  let sut: MaintenanceService;

  beforeAll(async () => {
    Logger.overrideLogger(false);
    isolated = await isolatedEnv();
    prisma = new PrismaService(new AppConfig(isolated.env));
    sut = new MaintenanceService(new MaintenanceRepository(prisma), new AppConfig(isolated.env));
  });
  afterAll(async () => {
    await prisma.onModuleDestroy();
    await isolated.cleanup();
  });

  it('deletes expired idempotency keys and old upstream events, and keeps the rest', async () => {
    const now = new Date();
    const client = await prisma.client.create({ data: { name: 'c' } });
    await prisma.idempotencyKey.createMany({
      data: [
        { clientId: client.id, key: 'old', requestHash: 'h', expiresAt: new Date(now.getTime() - 1000) },
        { clientId: client.id, key: 'live', requestHash: 'h', expiresAt: new Date(now.getTime() + 60000) },
      ],
    });
    const instanceId = '00000000-0000-4000-8000-000000000001';
    await prisma.upstreamEvent.createMany({
      data: [
        {
          instanceId,
          dedupeKey: 'old',
          event: 'messages.update',
          receivedAt: new Date(now.getTime() - UPSTREAM_EVENT_RETENTION_MS - 1000),
        },
        { instanceId, dedupeKey: 'recent', event: 'messages.update', receivedAt: now },
      ],
    });

    const day = 24 * 3600 * 1000;
    const delivery = (id: string, status: 'succeeded' | 'dead' | 'retrying', ageDays: number) => ({
      id,
      clientId: client.id,
      instanceId,
      event: 'messages.upsert',
      payload: { text: 'an inbound message' },
      url: 'https://example.com/hook',
      status,
      nextAttemptAt: now,
      createdAt: new Date(now.getTime() - ageDays * day),
    });
    await prisma.webhookDelivery.createMany({
      data: [
        delivery('00000000-0000-4000-8000-0000000000a1', 'succeeded', 31),
        delivery('00000000-0000-4000-8000-0000000000a2', 'dead', 31),
        delivery('00000000-0000-4000-8000-0000000000a3', 'retrying', 31),
        delivery('00000000-0000-4000-8000-0000000000a4', 'succeeded', 29),
      ],
    });

    // PAYLOAD_RETENTION_DAYS defaults to 30: settled deliveries older than that go, one still being retried stays.
    expect(await sut.purgeExpired(now)).toEqual({ idempotencyKeys: 1, upstreamEvents: 1, webhookDeliveries: 2 });
    expect((await prisma.webhookDelivery.findMany({ orderBy: { id: 'asc' } })).map((d) => d.id.slice(-2))).toEqual([
      'a3',
      'a4',
    ]);
    expect((await prisma.idempotencyKey.findMany()).map((k) => k.key)).toEqual(['live']);
    expect((await prisma.upstreamEvent.findMany()).map((e) => e.dedupeKey)).toEqual(['recent']);
  });
});
