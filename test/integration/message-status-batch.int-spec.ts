import { AppConfig } from '@/config/app-config';
import { PrismaService } from '@/database/prisma.service';
import { MessageRepository } from '@/modules/messages/message.repository';
import { canAdvance, DeliveryStatus, rollupIncrements } from '@/modules/messages/message-status';
import { StatusBatcherService } from '@/modules/messages/status-batcher.service';
import { IsolatedEnv, isolatedEnv } from '../setup/test-env';

const STATUSES: DeliveryStatus[] = ['queued', 'sent', 'delivered', 'read', 'failed'];

/** The batched status statement against the status rules written in TypeScript (message-status.ts), on Postgres. */
describe('upstream statuses applied in batches', () => {
  let isolated: IsolatedEnv;
  let prisma: PrismaService;
  let messages: MessageRepository;
  let clientId: number;
  let instanceId: string;

  beforeAll(async () => {
    isolated = await isolatedEnv();
    prisma = new PrismaService(new AppConfig(isolated.env));
    messages = new MessageRepository(prisma);
    clientId = (await prisma.client.create({ data: { name: 'batch' } })).id;
    const instance = await prisma.instance.create({
      data: {
        clientId,
        name: 'batch-instance',
        integration: 'WHATSAPP-BAILEYS',
        tokenEncrypted: 'x',
        webhookSecretEncrypted: 'x',
      },
    });
    instanceId = instance.id;
  });
  afterAll(async () => {
    await prisma.onModuleDestroy();
    await isolated.cleanup();
  });

  async function rollups() {
    const counts = await prisma.messageCount.findMany({ where: { clientId } });
    const usage = await prisma.usageDaily.findMany({ where: { clientId } });
    return {
      counts: Object.fromEntries(STATUSES.map((s) => [s, counts.find((c) => c.status === s)?.count ?? 0])),
      usage: ['attempts', 'sent', 'delivered', 'read', 'failed'].map((k) =>
        usage.reduce((sum, u) => sum + (u[k as keyof typeof u] as number), 0),
      ),
    };
  }

  it('moves every status pair as canAdvance says, with the rollups rollupIncrements gives, in one statement', async () => {
    const pairs = STATUSES.flatMap((from) => STATUSES.filter((to) => to !== 'queued').map((to) => ({ from, to })));
    const made = [];
    for (const [i, pair] of pairs.entries()) {
      const m = await messages.createForClient(clientId, {
        instanceId,
        source: 'api',
        number: '254712345678',
        messageType: 'text',
        status: pair.from,
      });
      await prisma.message.update({ where: { id: m.id }, data: { upstreamMessageId: `WA-${i}` } });
      made.push({ ...pair, id: m.id, upstreamMessageId: `WA-${i}` });
    }
    const before = await rollups();

    const outcomes = await messages.applyUpstreamStatusesForSystem([
      ...made.map((m) => ({ instanceId, upstreamMessageId: m.upstreamMessageId, status: m.to })),
      { instanceId, upstreamMessageId: 'WA-unknown', status: 'read' },
    ]);

    expect(outcomes).toEqual([...made.map((m) => (canAdvance(m.from, m.to) ? 'applied' : 'ignored')), 'unknown']);
    const expected = structuredClone(before);
    for (const m of made) {
      const row = await prisma.message.findUniqueOrThrow({ where: { id: m.id } });
      const moved = canAdvance(m.from, m.to);
      expect({ pair: `${m.from}→${m.to}`, status: row.status }).toEqual({
        pair: `${m.from}→${m.to}`,
        status: moved ? m.to : m.from,
      });
      if (!moved) continue;
      expected.counts[m.from]! -= 1;
      expected.counts[m.to]! += 1;
      const add = rollupIncrements(m.from, m.to);
      expected.usage = expected.usage.map((n, k) => n + [0, add.sent, add.delivered, add.read, add.failed][k]!);
    }
    expect(await rollups()).toEqual(expected);
  });

  it('answers every caller of a batch, merging statuses of one message so the furthest it reached wins', async () => {
    const m = await messages.createForClient(clientId, {
      instanceId,
      source: 'api',
      number: '254712345679',
      messageType: 'text',
    });
    await messages.markAcceptedForClient(clientId, m.id, 'WA-merge');
    const batcher = new StatusBatcherService(messages);
    const outcomes = await Promise.all(
      (['sent', 'read', 'delivered', 'failed'] as DeliveryStatus[]).map((status) =>
        batcher.apply({ instanceId, upstreamMessageId: 'WA-merge', status }),
      ),
    );
    expect(outcomes).toEqual(['applied', 'applied', 'applied', 'applied']);
    const row = await prisma.message.findUniqueOrThrow({ where: { id: m.id } });
    // Merged into one move, the milestones passed on the way are stamped too.
    expect(row).toMatchObject({
      status: 'read',
      sentAt: expect.any(Date),
      deliveredAt: expect.any(Date),
      readAt: expect.any(Date),
    });
    // A later repeat changes nothing.
    expect(await batcher.apply({ instanceId, upstreamMessageId: 'WA-merge', status: 'delivered' })).toBe('ignored');
  });
});
