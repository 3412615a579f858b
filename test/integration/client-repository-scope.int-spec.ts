import { issueClientKey } from '@/common/crypto/api-keys';
import { AppConfig } from '@/config/app-config';
import { PrismaService } from '@/database/prisma.service';
import { TenantReadCache } from '@/database/tenant-read-cache';
import { Client } from '@/generated/prisma/client';
import { ClientRepository } from '@/modules/admin/client.repository';
import { IsolatedEnv, isolatedEnv } from '../setup/test-env';

/**
 * Tenant scoping at the data layer: every method of the client repository takes the client it acts on; called with
 * another client's id, it reads nothing of this client and changes nothing of this client or its keys.
 */
describe(`${ClientRepository.name}: tenant scope`, () => {
  let isolated: IsolatedEnv;
  let prisma: PrismaService;
  let sut: ClientRepository;
  let mine: Client;
  let other: number;
  let deleted: number;

  beforeAll(async () => {
    isolated = await isolatedEnv();
    prisma = new PrismaService(new AppConfig(isolated.env));
    sut = new ClientRepository(prisma, new TenantReadCache());
    const owner = await sut.createWithKey(
      { name: 'owner', dailyCap: 250, webhookUrl: 'https://owner.example' },
      {
        ...issueClientKey(),
        prefix: 'owner-key',
      },
    );
    mine = await prisma.client.findUniqueOrThrow({ where: { id: owner.id } });
    other = (await sut.createWithKey({ name: 'other' }, { ...issueClientKey(), prefix: 'other-key' })).id;
    deleted = (await sut.createWithKey({ name: 'deleted' }, issueClientKey())).id;
    expect(await sut.softDelete(deleted, new Date())).toBe(true);
  });
  afterAll(async () => {
    await prisma.onModuleDestroy();
    await isolated.cleanup();
  });

  const ownersKeys = () =>
    prisma.apiKey
      .findMany({ where: { clientId: mine.id }, orderBy: { id: 'asc' } })
      .then((keys) => keys.map((k) => [k.prefix, k.keyHash, k.revokedAt, k.expiresAt]));

  it('reads only the client asked for', async () => {
    const found = await sut.findById(other);
    expect(found).toMatchObject({ id: other, name: 'other', currentKeyPrefix: 'other-key' });
    expect(found?.webhookUrl).toBeNull();
    expect(await sut.findById(deleted)).toBeNull();
  });

  it('changes nothing of this client or its keys when acting on another client', async () => {
    const keysBefore = await ownersKeys();
    const now = new Date();
    const settings = { name: 'renamed', dailyCap: 1, webhookUrl: 'https://attacker.example', active: false };
    expect(await sut.update(other, settings)).toMatchObject({ id: other, name: 'renamed' });
    expect(await sut.rotateKey(other, issueClientKey(), now, new Date(now.getTime() + 60000))).toBe(true);
    expect(await sut.rotateKey(other, issueClientKey(), now, null)).toBe(true);
    expect(await sut.softDelete(other, now)).toBe(true);

    expect(await prisma.client.findUniqueOrThrow({ where: { id: mine.id } })).toEqual(mine);
    expect(await ownersKeys()).toEqual(keysBefore);
    expect(keysBefore).toEqual([['owner-key', expect.any(String), null, null]]);
    expect(await sut.findById(mine.id)).toMatchObject({ currentKeyPrefix: 'owner-key', deletedAt: null });
  });

  it('refuses, and changes nothing, for a deleted client', async () => {
    const keysBefore = await prisma.apiKey.findMany({ where: { clientId: deleted } });
    expect(await sut.update(deleted, { name: 'revived', active: true })).toBeNull();
    expect(await sut.rotateKey(deleted, issueClientKey(), new Date(), null)).toBe(false);
    expect(await sut.softDelete(deleted, new Date())).toBe(false);
    expect(await prisma.client.findUniqueOrThrow({ where: { id: deleted } })).toMatchObject({
      name: 'deleted',
      active: false,
    });
    expect(await prisma.apiKey.findMany({ where: { clientId: deleted } })).toEqual(keysBefore);
    expect(await prisma.client.findUniqueOrThrow({ where: { id: mine.id } })).toEqual(mine);
  });
});
