import { AppConfig } from '@/config/app-config';
import { PrismaService } from '@/database/prisma.service';
import { BulkJob } from '@/generated/prisma/client';
import { BulkRepository } from '@/modules/bulk/bulk.repository';
import { BulkRecipientRepository } from '@/modules/bulk/bulk-recipient.repository';
import { IsolatedEnv, isolatedEnv } from '../setup/test-env';

/**
 * Tenant scoping at the data layer: every method of the bulk and bulk recipient repositories that takes a client id,
 * called with another client's id on this client's bulk, reads nothing and changes nothing.
 */
describe(`${BulkRepository.name} and ${BulkRecipientRepository.name}: tenant scope`, () => {
  let isolated: IsolatedEnv;
  let prisma: PrismaService;
  let sut: BulkRepository;
  let bulkRecipients: BulkRecipientRepository;
  let mine: BulkJob;
  let other: number;

  beforeAll(async () => {
    isolated = await isolatedEnv();
    prisma = new PrismaService(new AppConfig(isolated.env));
    sut = new BulkRepository(prisma);
    bulkRecipients = new BulkRecipientRepository(prisma);
    const owner = await prisma.client.create({ data: { name: 'owner' } });
    other = (await prisma.client.create({ data: { name: 'other' } })).id;
    const instance = await prisma.instance.create({
      data: {
        clientId: owner.id,
        name: 'bulk-scope',
        tokenEncrypted: 'x',
        webhookSecretEncrypted: 'y',
        status: 'open',
      },
    });
    mine = await sut.createForClient(owner.id, { instanceId: instance.id, message: 'hi', delayMs: 0, warnings: [] }, [
      { position: 1, number: '254712000001' },
      { position: 2, number: '254712000002' },
    ]);
    await prisma.bulkJob.update({ where: { id: mine.id }, data: { status: 'running' } });
  });
  afterAll(async () => {
    await prisma.onModuleDestroy();
    await isolated.cleanup();
  });

  it('reads nothing of another client’s bulk', async () => {
    expect(await sut.findForClient(other, mine.id)).toBeNull();
    expect(await sut.findForRun(other, mine.id)).toBeNull();
    expect(await bulkRecipients.recipientsForClient(other, mine.id, 0, 100)).toEqual([]);
    expect(Object.values(await bulkRecipients.countsForClient(other, mine.id)).every((n) => n === 0)).toBe(true);
    expect(await sut.listUnfinishedOfInstanceForClient(other, mine.instanceId)).toEqual([]);
    expect(await sut.listForClient(other, {}, 100)).toEqual([]);
    expect(await sut.listForClient(other, { instanceIds: [mine.instanceId] }, 100)).toEqual([]);
    const counts = await bulkRecipients.countsOfBulksForClient(other, [mine.id]);
    expect(Object.values(counts.get(mine.id)!).every((n) => n === 0)).toBe(true);
  });

  it('lists the owner’s bulk with its counts, without the message', async () => {
    const [listed] = await sut.listForClient(mine.clientId, { instanceIds: [mine.instanceId] }, 100);
    expect(listed).toMatchObject({ id: mine.id, instance: { name: 'bulk-scope' } });
    expect(listed).not.toHaveProperty('message');
    expect((await bulkRecipients.countsOfBulksForClient(mine.clientId, [mine.id])).get(mine.id)).toMatchObject({
      pending: 2,
    });
  });

  it('changes nothing of another client’s bulk or recipients, and says so', async () => {
    const [first] = await prisma.bulkRecipient.findMany({ where: { bulkId: mine.id }, orderBy: { position: 'asc' } });
    expect(await sut.leaseForClient(other, mine.id, 'intruder', 60000)).toBe(false);
    expect(await bulkRecipients.claimNextForClient(other, mine.id, 'intruder', 60000)).toBe('stop');
    expect(await sut.transitionForClient(other, mine.id, ['running'], 'cancelled')).toBe(false);
    expect(await bulkRecipients.cancelPendingForClient(other, mine.id, 'stolen')).toEqual([]);
    expect(await sut.completeIfDoneForClient(other, mine.id)).toBe(false);
    expect(await sut.pauseOfInstanceForClient(other, mine.instanceId, 'stolen', 'instance')).toEqual([]);
    await sut.markStartedForClient(other, mine.id);
    await bulkRecipients.finishRecipientForClient(other, first!.id, 'failed', null, 'stolen');
    await bulkRecipients.releaseRecipientForClient(other, first!.id, 'stolen');

    const bulk = await prisma.bulkJob.findUniqueOrThrow({ where: { id: mine.id } });
    expect(bulk).toMatchObject({ status: 'running', leaseOwner: null, startedAt: null });
    const recipients = await prisma.bulkRecipient.findMany({
      where: { bulkId: mine.id },
      orderBy: { position: 'asc' },
    });
    expect(recipients.map((r) => [r.status, r.error, r.attempts])).toEqual([
      ['pending', null, 0],
      ['pending', null, 0],
    ]);
  });
});
