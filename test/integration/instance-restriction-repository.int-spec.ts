import { AppConfig } from '@/config/app-config';
import { PrismaService } from '@/database/prisma.service';
import { TenantReadCache } from '@/database/tenant-read-cache';
import { Instance } from '@/generated/prisma/client';
import { BulkRepository } from '@/modules/bulk/bulk.repository';
import { InstanceRepository } from '@/modules/instances/instance.repository';
import { InstanceRestrictionRepository } from '@/modules/instances/instance-restriction.repository';
import { IsolatedEnv, isolatedEnv } from '../setup/test-env';

/**
 * The stored restriction: written once per restriction, lifted once, visible at once to this process's cached reads,
 * and out of reach of another client; and the bulk pause it brings, which touches only the instance's unfinished
 * bulks.
 */
describe(`${InstanceRestrictionRepository.name} and the restriction pause of ${BulkRepository.name}`, () => {
  let isolated: IsolatedEnv;
  let prisma: PrismaService;
  let cache: TenantReadCache;
  let sut: InstanceRestrictionRepository;
  let instances: InstanceRepository;
  let bulks: BulkRepository;
  let owner: number;
  let other: number;
  let mine: Instance;

  beforeAll(async () => {
    isolated = await isolatedEnv();
    prisma = new PrismaService(new AppConfig(isolated.env));
    cache = new TenantReadCache();
    sut = new InstanceRestrictionRepository(prisma, cache);
    instances = new InstanceRepository(prisma, cache);
    bulks = new BulkRepository(prisma);
    owner = (await prisma.client.create({ data: { name: 'owner' } })).id;
    other = (await prisma.client.create({ data: { name: 'other' } })).id;
    mine = await prisma.instance.create({
      data: { clientId: owner, name: 'restricted-shop', tokenEncrypted: 'x', webhookSecretEncrypted: 'y' },
    });
  });
  afterAll(async () => {
    await prisma.onModuleDestroy();
    await isolated.cleanup();
  });

  const stored = async () =>
    prisma.instance.findUniqueOrThrow({
      where: { id: mine.id },
      select: { restriction: true, restrictionStatus: true, restrictedAt: true },
    });

  it('stores a restriction once, replaces it with another, and lifts it; the cached instance follows at once', async () => {
    expect((await instances.findByNameForClient(owner, mine.name))?.restriction).toBeNull();
    const at = new Date('2026-11-30T10:00:00.000Z');
    expect(await sut.restrictForClient(owner, mine.id, { reason: 'logged_out', statusReason: 401 }, at)).toBe(true);
    expect(await sut.restrictForClient(owner, mine.id, { reason: 'logged_out', statusReason: 401 }, new Date())).toBe(
      false,
    );
    expect(await stored()).toEqual({ restriction: 'logged_out', restrictionStatus: 401, restrictedAt: at });
    expect((await instances.findByNameForClient(owner, mine.name))?.restriction).toBe('logged_out');

    const later = new Date('2026-11-30T10:05:00.000Z');
    expect(await sut.restrictForClient(owner, mine.id, { reason: 'banned', statusReason: 403 }, later)).toBe(true);
    expect(await stored()).toEqual({ restriction: 'banned', restrictionStatus: 403, restrictedAt: later });

    expect(await sut.clearForClient(owner, mine.id)).toBe(true);
    expect(await sut.clearForClient(owner, mine.id)).toBe(false);
    expect(await stored()).toEqual({ restriction: null, restrictionStatus: null, restrictedAt: null });
    expect((await instances.findByNameForClient(owner, mine.name))?.restriction).toBeNull();
  });

  it('changes nothing of another client’s instance, and says so', async () => {
    expect(await sut.restrictForClient(other, mine.id, { reason: 'banned', statusReason: 403 }, new Date())).toBe(
      false,
    );
    expect((await stored()).restriction).toBeNull();
    await sut.restrictForClient(owner, mine.id, { reason: 'banned', statusReason: 403 }, new Date());
    expect(await sut.clearForClient(other, mine.id)).toBe(false);
    expect((await stored()).restriction).toBe('banned');
    await sut.clearForClient(owner, mine.id);
  });

  it('pauses the instance’s queued and running bulks and re-labels its disconnected ones, nothing else', async () => {
    const bulk = async (status: 'queued' | 'running' | 'paused' | 'completed', pauseReason: string | null = null) => {
      const created = await bulks.createForClient(
        owner,
        { instanceId: mine.id, message: 'hi', delayMs: 0, warnings: [] },
        [{ position: 1, number: '254712000001' }],
      );
      await prisma.bulkJob.update({ where: { id: created.id }, data: { status, pauseReason } });
      return created.id;
    };
    const queued = await bulk('queued');
    const running = await bulk('running');
    const disconnected = await bulk('paused', 'instance disconnected: reconnect it');
    const byRequest = await bulk('paused', 'paused by request');
    const done = await bulk('completed');

    const paused = await bulks.pauseOfInstanceForClient(
      owner,
      mine.id,
      'instance restricted: banned',
      'instance disconnected',
    );
    expect(paused.sort()).toEqual([queued, running, disconnected].sort());
    const rows = await prisma.bulkJob.findMany({
      where: { instanceId: mine.id },
      select: { id: true, status: true, pauseReason: true },
    });
    const view = new Map(rows.map((r) => [r.id, [r.status, r.pauseReason]]));
    for (const id of [queued, running, disconnected])
      expect(view.get(id)).toEqual(['paused', 'instance restricted: banned']);
    expect(view.get(byRequest)).toEqual(['paused', 'paused by request']);
    expect(view.get(done)).toEqual(['completed', null]);
  });
});
