import { AppConfig } from '@/config/app-config';
import { PrismaService } from '@/database/prisma.service';
import { TenantReadCache } from '@/database/tenant-read-cache';
import { ApiKey } from '@/generated/prisma/client';
import { ApiKeyRepository, retireLiveKeys } from '@/modules/auth/api-key.repository';
import { IsolatedEnv, isolatedEnv } from '../setup/test-env';

/**
 * Tenant scoping at the data layer: a key is read with its own client's state and limits, never another's; and
 * retiring the live keys of another client's scope changes nothing of this client's keys.
 */
describe(`${ApiKeyRepository.name}: tenant scope`, () => {
  let isolated: IsolatedEnv;
  let prisma: PrismaService;
  let sut: ApiKeyRepository;
  let owner: number;
  let other: number;
  let instanceId: string;
  let mine: ApiKey[];
  let theirs: ApiKey;

  beforeAll(async () => {
    isolated = await isolatedEnv();
    prisma = new PrismaService(new AppConfig(isolated.env));
    sut = new ApiKeyRepository(prisma, new TenantReadCache());
    owner = (await prisma.client.create({ data: { name: 'owner', dailyCap: 111, sendIntervalMs: 2222 } })).id;
    other = (await prisma.client.create({ data: { name: 'other', dailyCap: 999, active: false } })).id;
    instanceId = (
      await prisma.instance.create({
        data: { clientId: owner, name: 'key-scope', tokenEncrypted: 'x', webhookSecretEncrypted: 'y' },
      })
    ).id;
    mine = [
      await prisma.apiKey.create({ data: { clientId: owner, kind: 'client', keyHash: 'h-owner', prefix: 'o' } }),
      await prisma.apiKey.create({
        data: { clientId: owner, instanceId, kind: 'instance', keyHash: 'h-owner-instance', prefix: 'oi' },
      }),
    ];
    theirs = await prisma.apiKey.create({ data: { clientId: other, kind: 'client', keyHash: 'h-other', prefix: 't' } });
  });
  afterAll(async () => {
    await prisma.onModuleDestroy();
    await isolated.cleanup();
  });

  it('reads each key with its own client’s state and limits', async () => {
    expect(await sut.findByHash('h-owner')).toMatchObject({
      id: mine[0]!.id,
      clientId: owner,
      instanceId: null,
      kind: 'client',
      client: { active: true, dailyCap: 111, sendIntervalMs: 2222 },
    });
    expect(await sut.findByIdWithClient(mine[1]!.id)).toMatchObject({
      clientId: owner,
      instanceId,
      kind: 'instance',
      client: { dailyCap: 111 },
    });
    expect(await sut.findByHash('h-other')).toMatchObject({
      clientId: other,
      client: { active: false, dailyCap: 999 },
    });
    expect(await sut.findByIdWithClient(theirs.id)).toMatchObject({ clientId: other, client: { dailyCap: 999 } });
    expect(await sut.findByHash('h-nobody')).toBeNull();
  });

  it('reads only the live client asked for', async () => {
    expect(await sut.findLiveClientForSystem(other)).toMatchObject({ id: other, name: 'other' });
    expect(await sut.findLiveClientForSystem(owner)).toMatchObject({ id: owner, name: 'owner' });
  });

  it('retires nothing of this client’s keys when retiring another client’s', async () => {
    const now = new Date();
    const later = new Date(now.getTime() + 60000);
    await retireLiveKeys(prisma, { clientId: other, kind: 'client' }, now, later);
    await retireLiveKeys(prisma, { clientId: other, instanceId, kind: 'instance' }, now, null);
    await retireLiveKeys(prisma, { clientId: other, kind: 'client' }, now, null);

    expect(await prisma.apiKey.findMany({ where: { clientId: owner }, orderBy: { id: 'asc' } })).toEqual(mine);
    // The other client's key was retired: the scope does reach its own keys.
    expect(await prisma.apiKey.findUniqueOrThrow({ where: { id: theirs.id } })).toMatchObject({
      expiresAt: later,
      revokedAt: now,
    });
  });
});
