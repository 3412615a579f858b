import { AppConfig } from '@/config/app-config';
import { PrismaService } from '@/database/prisma.service';
import { Instance, WebhookDelivery } from '@/generated/prisma/client';
import { DeliveryRepository } from '@/modules/webhooks/delivery.repository';
import { IsolatedEnv, isolatedEnv } from '../setup/test-env';

/**
 * Tenant scoping at the data layer: every method of the webhook delivery repository that takes a client id, called
 * with another client's id on this client's delivery, reads nothing and changes nothing.
 */
describe(`${DeliveryRepository.name}: tenant scope`, () => {
  let isolated: IsolatedEnv;
  let prisma: PrismaService;
  let sut: DeliveryRepository;
  let instance: Instance;
  let mine: WebhookDelivery;
  let other: number;

  beforeAll(async () => {
    isolated = await isolatedEnv();
    prisma = new PrismaService(new AppConfig(isolated.env));
    sut = new DeliveryRepository(prisma);
    const owner = await prisma.client.create({ data: { name: 'owner' } });
    other = (await prisma.client.create({ data: { name: 'other' } })).id;
    instance = await prisma.instance.create({
      data: {
        clientId: owner.id,
        name: 'delivery-scope',
        tokenEncrypted: 'x',
        webhookSecretEncrypted: 'secret-of-owner',
        status: 'open',
      },
    });
    mine = await prisma.webhookDelivery.create({
      data: {
        clientId: owner.id,
        instanceId: instance.id,
        event: 'messages.upsert',
        payload: { text: 'private' },
        url: 'https://owner.example/hook',
        status: 'retrying',
        attempts: 2,
        lastError: 'HTTP 503',
        lastStatusCode: 503,
        nextAttemptAt: new Date(Date.now() - 1000),
      },
    });
  });
  afterAll(async () => {
    await prisma.onModuleDestroy();
    await isolated.cleanup();
  });

  it('reads nothing of another client’s deliveries', async () => {
    expect(await sut.findForClient(other, mine.id)).toBeNull();
    expect(await sut.listForClient(other, {}, 100)).toEqual([]);
    expect(
      await sut.listForClient(other, { instanceIds: [instance.id], status: 'retrying', event: mine.event }, 100),
    ).toEqual([]);
  });

  it('does not lend another client’s signing secrets to a delivery that names its instance', async () => {
    const crafted = await prisma.webhookDelivery.create({
      data: {
        clientId: other,
        instanceId: instance.id,
        event: 'messages.upsert',
        payload: {},
        url: 'https://other.example/hook',
        nextAttemptAt: new Date(),
      },
    });
    expect(await sut.findForClient(other, crafted.id)).toBeNull();
  });

  it('changes nothing of another client’s delivery, and says so', async () => {
    const now = new Date();
    const later = new Date(now.getTime() + 60000);
    expect(await sut.claimForClient(other, mine.id, now, later, later)).toBe(false);
    await sut.recordSuccessForClient(other, mine.id, 200);
    await sut.recordFailureForClient(other, mine.id, 500, 'stolen', null);
    await sut.recordFailureForClient(other, mine.id, 500, 'stolen', later);
    const ids = (rows: { id: string }[]) => rows.map((r) => r.id);
    // The other client's own deliveries (the crafted one above) may be reset; the owner's is not.
    expect(ids(await sut.resetForClient(other, {}, later))).not.toContain(mine.id);
    expect(await sut.resetForClient(other, { id: mine.id }, later)).toEqual([]);
    // A filter naming the owner does not widen the scope: the client id given wins.
    expect(ids(await sut.resetForClient(other, { clientId: mine.clientId }, later))).not.toContain(mine.id);

    const after = await prisma.webhookDelivery.findUniqueOrThrow({ where: { id: mine.id } });
    expect(after).toEqual(mine);
  });
});
