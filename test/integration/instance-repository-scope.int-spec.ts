import { issueInstanceKey } from '@/common/crypto/api-keys';
import { AppConfig } from '@/config/app-config';
import { PrismaService } from '@/database/prisma.service';
import { TenantReadCache } from '@/database/tenant-read-cache';
import { Instance } from '@/generated/prisma/client';
import { InstanceRepository } from '@/modules/instances/instance.repository';
import { IsolatedEnv, isolatedEnv } from '../setup/test-env';

/**
 * Tenant scoping at the data layer: every method of the instance repository that takes a client id, called with
 * another client's id on this client's instance, reads nothing and changes nothing.
 */
describe(`${InstanceRepository.name}: tenant scope`, () => {
  let isolated: IsolatedEnv;
  let prisma: PrismaService;
  let sut: InstanceRepository;
  let mine: Instance;
  let other: number;

  beforeAll(async () => {
    isolated = await isolatedEnv();
    prisma = new PrismaService(new AppConfig(isolated.env));
    sut = new InstanceRepository(prisma, new TenantReadCache());
    const owner = await prisma.client.create({ data: { name: 'owner' } });
    other = (await prisma.client.create({ data: { name: 'other' } })).id;
    mine = await prisma.instance.create({
      data: {
        clientId: owner.id,
        name: 'scope-shop',
        tokenEncrypted: 'x',
        webhookSecretEncrypted: 'y',
        status: 'open',
      },
    });
    await prisma.apiKey.create({
      data: { clientId: owner.id, instanceId: mine.id, kind: 'instance', keyHash: 'h-scope', prefix: 'p' },
    });
  });
  afterAll(async () => {
    await prisma.onModuleDestroy();
    await isolated.cleanup();
  });

  it('reads nothing of another client’s instance', async () => {
    expect(await sut.findByNameForClient(other, mine.name)).toBeNull();
    expect(await sut.findByIdForClient(other, mine.id)).toBeNull();
    expect(await sut.namesByIdForClient(other, [mine.id])).toEqual(new Map());
    expect(await sut.idsByNameIncludingDeletedForClient(other, mine.name)).toEqual([]);
    expect(await sut.listForClient(other, 100, 0)).toEqual([[], 0]);
  });

  it('changes nothing of another client’s instance, and says so', async () => {
    const now = new Date();
    expect(await sut.updateStatusForClient(other, mine.id, 'close')).toBe(false);
    expect(await sut.recordEventStateForClient(other, mine.id, 'close')).toBe(false);
    expect(await sut.rotateKeyForClient(other, mine.id, issueInstanceKey(), now, null)).toBe(false);
    expect(await sut.rotateWebhookSecretForClient(other, mine.id, 'stolen', null)).toBe(false);
    expect(await sut.markDeletingForClient(other, mine.id, now)).toBe(false);
    expect(await sut.finishCreateForClient(other, mine.id, 'upstream-x', issueInstanceKey())).toBe(false);
    expect(await sut.softDeleteForClient(other, mine.id, now)).toBe(false);
    await sut.setWebhookForClient(other, mine.id, {
      webhookUrl: 'https://attacker.example',
      webhookEvents: [],
      webhookEnabled: true,
    });
    await sut.clearDeletingForClient(other, mine.id);
    await sut.removeUnfinishedForClient(other, mine.id);

    const after = await prisma.instance.findUniqueOrThrow({ where: { id: mine.id } });
    expect(after).toMatchObject({
      status: 'open',
      webhookSecretEncrypted: 'y',
      webhookUrl: null,
      upstreamInstanceId: null,
      deletedAt: null,
      deletingAt: null,
    });
    const keys = await prisma.apiKey.findMany({ where: { instanceId: mine.id } });
    expect(keys.map((k) => [k.keyHash, k.revokedAt, k.expiresAt])).toEqual([['h-scope', null, null]]);
  });
});
