import { AppConfig } from '@/config/app-config';
import { PrismaService } from '@/database/prisma.service';
import { BulkRecipient, Message } from '@/generated/prisma/client';
import { BulkRepository } from '@/modules/bulk/bulk.repository';
import { MessageRepository } from '@/modules/messages/message.repository';
import { StatsRepository } from '@/modules/messages/stats.repository';
import { IsolatedEnv, isolatedEnv } from '../setup/test-env';

/**
 * Tenant scoping at the data layer: every method of the message log and stats repositories that takes a client id,
 * called with another client's id on this client's messages, instance and bulk, reads nothing and changes nothing.
 */
describe(`${MessageRepository.name} and ${StatsRepository.name}: tenant scope`, () => {
  let isolated: IsolatedEnv;
  let prisma: PrismaService;
  let sut: MessageRepository;
  let stats: StatsRepository;
  let owner: number;
  let other: number;
  let instanceId: string;
  let otherInstanceId: string;
  let bulkId: string;
  let mine: Message;
  let recipient: BulkRecipient;

  beforeAll(async () => {
    isolated = await isolatedEnv();
    prisma = new PrismaService(new AppConfig(isolated.env));
    sut = new MessageRepository(prisma);
    stats = new StatsRepository(prisma);
    owner = (await prisma.client.create({ data: { name: 'owner' } })).id;
    other = (await prisma.client.create({ data: { name: 'other' } })).id;
    const instance = (clientId: number, name: string) =>
      prisma.instance.create({
        data: { clientId, name, tokenEncrypted: 'x', webhookSecretEncrypted: 'y', status: 'open' },
      });
    instanceId = (await instance(owner, 'msg-scope')).id;
    otherInstanceId = (await instance(other, 'msg-scope-other')).id;
    const bulk = await new BulkRepository(prisma).createForClient(
      owner,
      { instanceId, message: 'hi', delayMs: 0, warnings: [] },
      [
        { position: 1, number: '254712000001' },
        { position: 2, number: '254712000002' },
      ],
    );
    bulkId = bulk.id;
    recipient = (await prisma.bulkRecipient.findMany({ where: { bulkId }, orderBy: { position: 'asc' } }))[1]!;
    const created = await sut.createForClient(owner, {
      instanceId,
      bulkId,
      source: 'bulk',
      number: '254712000001',
      messageType: 'text',
    });
    await sut.markAcceptedForClient(owner, created.id, 'WA-MINE');
    mine = (await sut.advanceForClient(owner, created.id, { from: ['queued'], to: 'sent' }))!;
  });
  afterAll(async () => {
    await prisma.onModuleDestroy();
    await isolated.cleanup();
  });

  /** Everything of the owner's that the repositories write to. */
  async function ownersRows() {
    return {
      messages: await prisma.message.findMany({ where: { clientId: owner }, orderBy: { id: 'asc' } }),
      counts: await prisma.messageCount.findMany({ where: { clientId: owner }, orderBy: { status: 'asc' } }),
      usage: await prisma.usageDaily.findMany({ where: { clientId: owner } }),
      recipients: await prisma.bulkRecipient.findMany({ where: { bulkId }, orderBy: { position: 'asc' } }),
    };
  }

  it('finds the owner’s message with the owner’s id (the rows the other checks look for exist)', async () => {
    expect((await sut.listForClient(owner, {}, { limit: 100, offset: 0 })).map((m) => m.id)).toEqual([mine.id]);
    expect((await sut.exportPageForClient(owner, { bulkId }, { limit: 100 })).map((m) => m.id)).toEqual([mine.id]);
    expect(await sut.countFromCountersForClient(owner, [instanceId], 'sent')).toBe(1);
    expect(await stats.totalsForClient(owner)).toEqual({ attempts: 1, sent: 1 });
  });

  it('reads nothing of another client’s messages', async () => {
    const page = { limit: 100, offset: 0 };
    expect(await sut.listForClient(other, {}, page)).toEqual([]);
    expect(await sut.listForClient(other, { instanceIds: [instanceId] }, page)).toEqual([]);
    expect(await sut.listForClient(other, { bulkId, number: mine.number, status: 'sent' }, page)).toEqual([]);
    expect(await sut.listForClient(other, {}, { ...page, beforeId: mine.id + 1n })).toEqual([]);
    expect(await sut.exportPageForClient(other, {}, { limit: 100 })).toEqual([]);
    expect(await sut.exportPageForClient(other, { instanceIds: [instanceId], bulkId }, { limit: 100 })).toEqual([]);
    expect(await sut.exportPageForClient(other, {}, { limit: 100, beforeId: mine.id + 1n })).toEqual([]);
    expect(await sut.countForClient(other, {})).toBe(0);
    expect(await sut.countForClient(other, { instanceIds: [instanceId], bulkId })).toBe(0);
    expect(await sut.countFromCountersForClient(other, undefined, undefined)).toBe(0);
    expect(await sut.countFromCountersForClient(other, [instanceId], 'sent')).toBe(0);
    expect(await sut.attemptsTodayForClient(other, instanceId, new Date())).toBe(0);
  });

  it('reads nothing of another client’s usage', async () => {
    const since = new Date(Date.now() - 7 * 24 * 3600 * 1000);
    expect(await stats.totalsForClient(other)).toEqual({ attempts: 0, sent: 0 });
    expect(await stats.totalsForClient(other, instanceId)).toEqual({ attempts: 0, sent: 0 });
    expect(await stats.byTypeForClient(other)).toEqual([]);
    expect(await stats.byTypeForClient(other, instanceId)).toEqual([]);
    expect(await stats.dailyForClient(other, since)).toEqual(new Map());
    expect(await stats.dailyForClient(other, since, instanceId)).toEqual(new Map());
  });

  it('changes nothing of another client’s messages, rollups or bulk recipients, and says so', async () => {
    const before = await ownersRows();
    expect(await sut.markAcceptedForClient(other, mine.id, 'WA-STOLEN')).toBeNull();
    expect(await sut.advanceForClient(other, mine.id, { from: ['sent'], to: 'failed', error: 'stolen' })).toBeNull();
    expect(await sut.advanceForClient(other, mine.id, { from: ['sent'], to: 'read' })).toBeNull();
    // A send of the other client's that names the owner's bulk recipient does not take that recipient's link.
    const intruder = await sut.createForClient(other, {
      instanceId: otherInstanceId,
      bulkRecipientId: recipient.id,
      source: 'bulk',
      number: recipient.number,
      messageType: 'text',
    });

    const after = await ownersRows();
    expect(after).toEqual(before);
    expect(after.messages.map((m) => [m.status, m.upstreamMessageId, m.error, m.failedAt, m.readAt])).toEqual([
      ['sent', 'WA-MINE', null, null, null],
    ]);
    expect(after.recipients.map((r) => r.messageId)).toEqual([null, null]);
    expect(intruder.clientId).toBe(other);
  });
});
