import { AppConfig } from '@/config/app-config';
import { PrismaService } from '@/database/prisma.service';
import { BulkRepository } from '@/modules/bulk/bulk.repository';
import { BulkScheduleRepository } from '@/modules/bulk/bulk-schedule.repository';
import { MessageRepository } from '@/modules/messages/message.repository';
import { ScheduledSendRepository } from '@/modules/messages/scheduled-send.repository';
import { IsolatedEnv, isolatedEnv } from '../setup/test-env';

/**
 * Tenant scoping at the data layer: every method of the scheduled-send and bulk-schedule repositories that takes a
 * client id, called with another client's id on this client's scheduled message and bulk, reads and changes nothing.
 */
describe(`${ScheduledSendRepository.name} and ${BulkScheduleRepository.name}: tenant scope`, () => {
  let isolated: IsolatedEnv;
  let prisma: PrismaService;
  let sut: ScheduledSendRepository;
  let bulkSchedule: BulkScheduleRepository;
  let owner: number;
  let other: number;
  let instanceId: string;
  let bulkId: string;
  let messageId: bigint;

  beforeAll(async () => {
    isolated = await isolatedEnv();
    prisma = new PrismaService(new AppConfig(isolated.env));
    sut = new ScheduledSendRepository(prisma);
    bulkSchedule = new BulkScheduleRepository(prisma);
    owner = (await prisma.client.create({ data: { name: 'owner' } })).id;
    other = (await prisma.client.create({ data: { name: 'other' } })).id;
    instanceId = (
      await prisma.instance.create({
        data: { clientId: owner, name: 'sched-scope', tokenEncrypted: 'x', webhookSecretEncrypted: 'y' },
      })
    ).id;
    const scheduled = await new MessageRepository(prisma).createForClient(owner, {
      instanceId,
      source: 'api',
      number: '254712000001',
      messageType: 'text',
      status: 'scheduled',
      schedule: { sendAt: new Date(Date.now() + 3600000), expiresAt: null, payload: { kind: 'text', text: 'hi' } },
    });
    messageId = scheduled.id;
    bulkId = (
      await new BulkRepository(prisma).createForClient(owner, { instanceId, message: 'hi', delayMs: 0, warnings: [] }, [
        { position: 1, number: '254712000002' },
      ])
    ).id;
  });
  afterAll(async () => {
    await prisma.onModuleDestroy();
    await isolated.cleanup();
  });

  async function ownersRows() {
    return {
      messages: await prisma.message.findMany({ where: { clientId: owner } }),
      schedules: await prisma.scheduledSend.findMany({ where: { clientId: owner } }),
      counts: await prisma.messageCount.findMany({ where: { clientId: owner }, orderBy: { status: 'asc' } }),
      recipients: await prisma.bulkRecipient.findMany({ where: { bulkId } }),
    };
  }

  it('finds the owner’s scheduled message with the owner’s id (the rows the other checks look for exist)', async () => {
    expect(await sut.findForClient(owner, messageId)).toMatchObject({ messageId, clientId: owner });
    expect((await sut.findDueForClient(owner, messageId))?.message.instance.id).toBe(instanceId);
  });

  it('reads nothing of another client’s scheduled message', async () => {
    expect(await sut.findForClient(other, messageId)).toBeNull();
    expect(await sut.findDueForClient(other, messageId)).toBeNull();
  });

  it('changes nothing of another client’s scheduled message or bulk', async () => {
    const before = await ownersRows();
    expect(await sut.closeForClient(other, messageId, 'cancelled')).toBeNull();
    expect(await sut.startForClient(other, messageId)).toBeNull();
    await sut.postponeForClient(other, messageId, new Date(0));
    expect(await bulkSchedule.expirePendingForClient(other, bulkId, 'expired')).toBe(0);
    expect(await ownersRows()).toEqual(before);
  });

  it('narrows a cancel to the instance named', async () => {
    const before = await ownersRows();
    expect(
      await sut.closeForClient(owner, messageId, 'cancelled', undefined, '00000000-0000-4000-8000-000000000000'),
    ).toBeNull();
    expect(await ownersRows()).toEqual(before);
  });
});
