import { AppConfig } from '@/config/app-config';
import { PrismaService } from '@/database/prisma.service';
import { TenantReadCache } from '@/database/tenant-read-cache';
import { InstanceRepository, NewInstance } from '@/modules/instances/instance.repository';
import { UpstreamRepository } from '@/modules/upstreams/upstream.repository';
import { IsolatedEnv, isolatedEnv } from '../setup/test-env';

/** The pool's data rules on real Postgres: the first upstream and adoption, placement by free capacity, removal. */
describe(UpstreamRepository.name, () => {
  let isolated: IsolatedEnv;
  let prisma: PrismaService;
  let sut: UpstreamRepository;
  let instances: InstanceRepository;
  let clientId: number;
  let named = 0;
  const newInstance = (): NewInstance => ({
    clientId,
    name: `pool-${++named}`,
    integration: 'WHATSAPP-BAILEYS',
    tokenEncrypted: 'x',
    webhookSecretEncrypted: 'y',
    webhookUrl: null,
  });
  const upstream = (name: string, capacity: number) =>
    sut.create({ name, url: `http://${name}:8080`, apiKeyEncrypted: 'k', capacity });

  beforeAll(async () => {
    isolated = await isolatedEnv();
    prisma = new PrismaService(new AppConfig(isolated.env));
    sut = new UpstreamRepository(prisma);
    instances = new InstanceRepository(prisma, new TenantReadCache());
    clientId = (await prisma.client.create({ data: { name: 'pool', maxInstances: 1000 } })).id;
  });
  afterAll(async () => {
    await prisma.onModuleDestroy();
    await isolated.cleanup();
  });

  it('makes the first upstream once, even when processes boot at the same time, and gives it the live instances made before the pool', async () => {
    const before = await prisma.instance.create({ data: { ...newInstance() } });
    const deletedBefore = await prisma.instance.create({ data: { ...newInstance(), deletedAt: new Date() } });
    const first = { name: 'default', url: 'http://evolution:8080', apiKeyEncrypted: 'k', capacity: 500 };

    const outcomes = await Promise.all([sut.firstUpstream(first), sut.firstUpstream(first), sut.firstUpstream(first)]);
    expect(outcomes.filter((o) => o.created)).toHaveLength(1);
    expect(outcomes.reduce((n, o) => n + o.adopted, 0)).toBe(1);
    const pool = await sut.listWithLoad();
    expect(pool.map((u) => [u.name, u.liveInstances])).toEqual([['default', 1]]);
    expect((await prisma.instance.findUniqueOrThrow({ where: { id: before.id } })).upstreamId).toBe(pool[0]!.id);
    expect((await prisma.instance.findUniqueOrThrow({ where: { id: deletedBefore.id } })).upstreamId).toBeNull();

    expect(await sut.firstUpstream({ ...first, name: 'another' })).toEqual({ created: false, adopted: 0 });
  });

  it('places a new instance on the answering, non-draining upstream with the most free places, and on none when all are full', async () => {
    await prisma.instance.updateMany({ data: { deletedAt: new Date() } });
    const [first] = await sut.listWithLoad();
    await sut.update(first!.id, { capacity: 1 });
    const big = await upstream('big', 3);
    const down = await upstream('down', 100);

    const placed: number[] = [];
    for (let i = 0; i < 4; i += 1) {
      const row = await instances.createWithinLimit(newInstance(), [first!.id, big.id]);
      placed.push(typeof row === 'string' ? -1 : row.upstreamId!);
    }
    // big has 3 free, first 1: big, big, then a tie (1 and 1) goes to the older upstream, then big.
    expect(placed).toEqual([big.id, big.id, first!.id, big.id]);
    // Full: the one down (not among those answering) is not chosen, however much room it has.
    expect(await instances.createWithinLimit(newInstance(), [first!.id, big.id])).toBe('no-upstream');

    await sut.update(big.id, { capacity: 10 });
    await sut.update(big.id, { draining: true });
    expect(await instances.createWithinLimit(newInstance(), [first!.id, big.id])).toBe('no-upstream');
    const onDown = await instances.createWithinLimit(newInstance(), [down.id]);
    expect(typeof onDown === 'string' ? onDown : onDown.upstreamId).toBe(down.id);
  });

  it('takes the last place once when creates race for it', async () => {
    const tight = await upstream('tight', 1);
    const results = await Promise.all(
      Array.from({ length: 4 }, () => instances.createWithinLimit(newInstance(), [tight.id])),
    );
    expect(results.filter((r) => typeof r !== 'string')).toHaveLength(1);
    expect(results.filter((r) => r === 'no-upstream')).toHaveLength(3);
  });

  it('removes only an upstream that holds no live instance; deleted instances let go of it', async () => {
    const gone = await upstream('gone', 5);
    const row = await instances.createWithinLimit(newInstance(), [gone.id]);
    if (typeof row === 'string') throw new Error(row);
    expect(await sut.remove(gone.id)).toBe('in-use');
    await prisma.instance.update({ where: { id: row.id }, data: { deletedAt: new Date() } });
    expect(await sut.remove(gone.id)).toBe('deleted');
    expect((await prisma.instance.findUniqueOrThrow({ where: { id: row.id } })).upstreamId).toBeNull();
    expect(await sut.remove(gone.id)).toBe('missing');
    expect((await sut.listWithLoad()).map((u) => u.name)).not.toContain('gone');
  });
});
