import { AppConfig } from '@/config/app-config';
import { PrismaService } from '@/database/prisma.service';
import { OptOutRepository } from '@/modules/opt-outs/opt-out.repository';
import { IsolatedEnv, isolatedEnv } from '../setup/test-env';

/**
 * Tenant scoping at the data layer: every method of the opt-out repository, called with another client's id, reads
 * nothing of this client's list and changes nothing in it; the other client's own entries stay its own.
 */
describe(`${OptOutRepository.name}: tenant scope`, () => {
  let isolated: IsolatedEnv;
  let prisma: PrismaService;
  let sut: OptOutRepository;
  let owner: number;
  let other: number;
  const NUMBER = '254712000001';

  beforeAll(async () => {
    isolated = await isolatedEnv();
    prisma = new PrismaService(new AppConfig(isolated.env));
    sut = new OptOutRepository(prisma);
    owner = (await prisma.client.create({ data: { name: 'owner' } })).id;
    other = (await prisma.client.create({ data: { name: 'other' } })).id;
    expect(await sut.addManyForClient(owner, [NUMBER, '254712000002'], 'keyword', 'STOP')).toHaveLength(2);
  });
  afterAll(async () => {
    await prisma.onModuleDestroy();
    await isolated.cleanup();
  });

  const ownersRows = () => prisma.optOut.findMany({ where: { clientId: owner }, orderBy: { id: 'asc' } });

  it('finds the owner’s entries with the owner’s id (the rows the other checks look for exist)', async () => {
    expect(await sut.hasForClient(owner, NUMBER)).toBe(true);
    expect(await sut.countForClient(owner, {})).toBe(2);
    expect((await sut.listForClient(owner, { number: NUMBER }, { limit: 10 })).map((o) => o.number)).toEqual([NUMBER]);
    expect((await sut.allNumbersForClient(owner, 10))?.sort()).toEqual([NUMBER, '254712000002']);
  });

  it('reads nothing of another client’s list', async () => {
    expect(await sut.hasForClient(other, NUMBER)).toBe(false);
    expect(await sut.countForClient(other, {})).toBe(0);
    expect(await sut.countForClient(other, { number: NUMBER })).toBe(0);
    expect(await sut.listForClient(other, {}, { limit: 10 })).toEqual([]);
    expect(await sut.listForClient(other, { number: NUMBER }, { limit: 10, beforeId: 2n ** 62n })).toEqual([]);
    expect(await sut.allNumbersForClient(other, 10)).toEqual([]);
  });

  it('changes nothing of another client’s list, and adds the same number to the other client’s own', async () => {
    const before = await ownersRows();
    expect(await sut.removeForClient(other, NUMBER)).toBe(false);
    expect(await sut.addManyForClient(other, [NUMBER], 'api')).toEqual([NUMBER]);
    expect(await ownersRows()).toEqual(before);
    expect(before.map((r) => [r.number, r.source, r.keyword])).toEqual([
      [NUMBER, 'keyword', 'STOP'],
      ['254712000002', 'keyword', 'STOP'],
    ]);
    expect(await sut.hasForClient(other, NUMBER)).toBe(true);
    expect(await sut.removeForClient(other, NUMBER)).toBe(true);
    expect(await sut.hasForClient(owner, NUMBER)).toBe(true);
  });

  it('says a list is too long to copy past the limit asked', async () => {
    expect(await sut.allNumbersForClient(owner, 1)).toBeNull();
  });
});
