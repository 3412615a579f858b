import { AppConfig } from '@/config/app-config';
import { PrismaService } from '@/database/prisma.service';
import { BulkRepository } from '@/modules/bulk/bulk.repository';
import { MessageRepository } from '@/modules/messages/message.repository';
import { ExpirySweepRepository, SweepLimits } from '@/modules/scheduling/expiry-sweep.repository';
import { IsolatedEnv, isolatedEnv } from '../setup/test-env';

const MINUTE = 60000;
const WIDE: SweepLimits = { messages: 100, bulks: 100, recipients: 1000 };

/** The sweep on real Postgres: what it expires, what it settles, what it leaves, and the counters it keeps. */
describe(ExpirySweepRepository.name, () => {
  let isolated: IsolatedEnv;
  let prisma: PrismaService;
  let sut: ExpirySweepRepository;
  let messages: MessageRepository;
  let bulks: BulkRepository;
  let clientId: number;
  let instanceId: string;
  let names = 0;

  beforeAll(async () => {
    isolated = await isolatedEnv();
    prisma = new PrismaService(new AppConfig(isolated.env));
    sut = new ExpirySweepRepository(prisma);
    messages = new MessageRepository(prisma);
    bulks = new BulkRepository(prisma);
    clientId = (await prisma.client.create({ data: { name: 'sweep' } })).id;
  });
  beforeEach(async () => {
    // Each test on its own instance, so the counters it reads are its own.
    instanceId = (
      await prisma.instance.create({
        data: { clientId, name: `sweep-${++names}`, tokenEncrypted: 'x', webhookSecretEncrypted: 'y' },
      })
    ).id;
  });
  afterAll(async () => {
    await prisma.onModuleDestroy();
    await isolated.cleanup();
  });

  const at = (offsetMs: number) => new Date(Date.now() + offsetMs);

  async function scheduled(sendAt: Date, expiresAt: Date | null) {
    return messages.createForClient(clientId, {
      instanceId,
      source: 'api',
      number: '254712000001',
      messageType: 'text',
      status: 'scheduled',
      schedule: { sendAt, expiresAt, payload: { kind: 'text', text: 'hi' } },
    });
  }

  async function bulk(status: 'queued' | 'running' | 'paused', expiresAt: Date | null, recipients: number) {
    const created = await bulks.createForClient(
      clientId,
      { instanceId, message: 'hi', delayMs: 0, warnings: [], expiresAt },
      Array.from({ length: recipients }, (_, i) => ({ position: i + 1, number: `2547120001${10 + i}` })),
    );
    await prisma.bulkJob.update({ where: { id: created.id }, data: { status, pauseReason: 'paused by request' } });
    return created.id;
  }

  const counts = async () =>
    Object.fromEntries(
      (await prisma.messageCount.findMany({ where: { clientId, instanceId } })).map((c) => [c.status, c.count]),
    );
  const recipients = (bulkId: string) =>
    prisma.bulkRecipient.findMany({ where: { bulkId }, orderBy: { position: 'asc' } });

  it('expires a scheduled message pushed past its expiry, drops its due time and moves the counters', async () => {
    const expiresAt = at(-1000);
    const late = await scheduled(at(MINUTE), expiresAt);
    const later = await scheduled(at(MINUTE), at(MINUTE));
    const open = await scheduled(at(MINUTE), null);
    const outcome = await sut.sweepForSystem(new Date(), WIDE);
    expect(outcome.messages).toBe(1);
    const rows = await prisma.message.findMany({ where: { instanceId }, orderBy: { id: 'asc' } });
    expect(rows.map((m) => [m.id, m.status])).toEqual([
      [late.id, 'expired'],
      [later.id, 'scheduled'],
      [open.id, 'scheduled'],
    ]);
    expect(rows[0]!.error).toBe(
      `Message expired at ${expiresAt.toISOString()} before it could be sent; it was not sent`,
    );
    expect((await prisma.scheduledSend.findMany({ where: { clientId } })).map((s) => s.messageId)).not.toContain(
      late.id,
    );
    expect(await counts()).toEqual({ scheduled: 2, expired: 1 });
    expect(await sut.sweepForSystem(new Date(), WIDE)).toMatchObject({ messages: 0 });
  });

  it('leaves a scheduled message a poller holds to that poller', async () => {
    const held = await scheduled(at(-2000), at(-1000));
    await prisma.scheduledSend.update({ where: { messageId: held.id }, data: { leaseUntil: at(MINUTE) } });
    expect((await sut.sweepForSystem(new Date(), WIDE)).messages).toBe(0);
    expect((await prisma.message.findUniqueOrThrow({ where: { id: held.id } })).status).toBe('scheduled');
  });

  it('expires the pending recipients of a waiting bulk past its expiry and completes it; other bulks are left', async () => {
    const expiresAt = at(-1000);
    const paused = await bulk('paused', expiresAt, 3);
    await prisma.bulkRecipient.updateMany({ where: { bulkId: paused, position: 1 }, data: { status: 'sent' } });
    const queued = await bulk('queued', at(-500), 2);
    const notYet = await bulk('paused', at(MINUTE), 2);
    const noExpiry = await bulk('paused', null, 2);
    const outcome = await sut.sweepForSystem(new Date(), WIDE);
    expect(new Set(outcome.bulks.map((b) => b.id))).toEqual(new Set([paused, queued]));
    expect(outcome.completed).toBe(2);
    expect((await recipients(paused)).map((r) => [r.status, r.error])).toEqual([
      ['sent', null],
      ['expired', `expired: the bulk expired at ${expiresAt.toISOString()} before this recipient's turn`],
      ['expired', `expired: the bulk expired at ${expiresAt.toISOString()} before this recipient's turn`],
    ]);
    const done = await prisma.bulkJob.findUniqueOrThrow({ where: { id: paused } });
    expect(done).toMatchObject({ status: 'completed', pauseReason: null, finishedAt: expect.any(Date) });
    expect((await prisma.bulkJob.findUniqueOrThrow({ where: { id: queued } })).status).toBe('completed');
    for (const id of [notYet, noExpiry]) {
      expect((await prisma.bulkJob.findUniqueOrThrow({ where: { id } })).status).toBe('paused');
      expect((await recipients(id)).map((r) => r.status)).toEqual(['pending', 'pending']);
    }
  });

  it('settles what a dead driver left sending, closes its interrupted attempt, and leaves a live driver’s recipient', async () => {
    const dead = await bulk('paused', at(-1000), 3);
    const [accepted, interrupted] = await recipients(dead);
    for (const [recipient, upstreamMessageId] of [
      [accepted!, 'WA-1'],
      [interrupted!, null],
    ] as const) {
      const row = await messages.createForClient(clientId, {
        instanceId,
        bulkId: dead,
        bulkRecipientId: recipient.id,
        source: 'bulk',
        number: recipient.number,
        messageType: 'text',
      });
      if (upstreamMessageId) await messages.markAcceptedForClient(clientId, row.id, upstreamMessageId);
      await prisma.bulkRecipient.update({ where: { id: recipient.id }, data: { status: 'sending' } });
    }
    const usage = () => prisma.usageDaily.findMany({ where: { instanceId } });
    expect((await usage()).map((u) => u.attempts)).toEqual([2]);

    const live = await bulk('running', at(-1000), 2);
    await prisma.bulkJob.update({ where: { id: live }, data: { leaseOwner: 'driver', leaseUntil: at(MINUTE) } });
    await prisma.bulkRecipient.updateMany({ where: { bulkId: live, position: 1 }, data: { status: 'sending' } });

    const outcome = await sut.sweepForSystem(new Date(), WIDE);
    expect((await recipients(dead)).map((r) => r.status)).toEqual(['sent', 'expired', 'expired']);
    expect(outcome.closedAttempts).toEqual([{ instanceId, createdAt: expect.any(Date) }]);
    const logged = await prisma.message.findMany({ where: { bulkId: dead }, orderBy: { id: 'asc' } });
    expect(logged.map((m) => m.status)).toEqual(['queued', 'expired']);
    expect(await counts()).toEqual({ queued: 1, expired: 1 });
    // The closed attempt is no attempt any more: the daily cap's rollup gives its unit back.
    expect((await usage()).map((u) => u.attempts)).toEqual([1]);
    expect((await prisma.bulkJob.findUniqueOrThrow({ where: { id: dead } })).status).toBe('completed');

    // The live driver settles its own recipient; the bulk completes once nothing is left.
    expect((await recipients(live)).map((r) => r.status)).toEqual(['sending', 'expired']);
    expect((await prisma.bulkJob.findUniqueOrThrow({ where: { id: live } })).status).toBe('running');
    await prisma.bulkRecipient.updateMany({ where: { bulkId: live, position: 1 }, data: { status: 'sent' } });
    expect((await sut.sweepForSystem(new Date(), WIDE)).completed).toBe(1);
    expect((await prisma.bulkJob.findUniqueOrThrow({ where: { id: live } })).status).toBe('completed');
  });

  it('keeps to its bounds, and completes a large bulk only when every recipient is settled', async () => {
    const large = await bulk('paused', at(-1000), 5);
    const first = await sut.sweepForSystem(new Date(), { ...WIDE, recipients: 3 });
    expect(first.completed).toBe(0);
    expect((await recipients(large)).map((r) => r.status)).toEqual([
      'expired',
      'expired',
      'expired',
      'pending',
      'pending',
    ]);
    expect((await prisma.bulkJob.findUniqueOrThrow({ where: { id: large } })).status).toBe('paused');
    const second = await sut.sweepForSystem(new Date(), { ...WIDE, recipients: 3 });
    expect(second.completed).toBe(1);
    expect((await recipients(large)).every((r) => r.status === 'expired')).toBe(true);
  });

  it('leaves finished and scheduled bulks alone', async () => {
    const ids: string[] = [];
    for (const status of ['completed', 'cancelled', 'scheduled'] as const) {
      const id = await bulk('paused', at(-1000), 1);
      await prisma.bulkJob.update({ where: { id }, data: { status } });
      ids.push(id);
    }
    const outcome = await sut.sweepForSystem(new Date(), WIDE);
    expect(outcome.bulks.filter((b) => ids.includes(b.id))).toEqual([]);
    for (const id of ids) expect((await recipients(id)).map((r) => r.status)).toEqual(['pending']);
  });
});
