import { AppConfig } from '@/config/app-config';
import { validateEnv } from '@/config/env.schema';
import { PrismaService } from '@/database/prisma.service';
import { RelayedDatabase, relayedDatabase } from '../setup/database-relay';
import { rawTestEnv } from '../setup/test-env';

/** The ORM pool's size (PrismaService's `max`): this many lost connections would leave none for queries. */
const POOL_SIZE = 10;

/**
 * Postgres going away while an interactive transaction holds its connection: the transaction's statement fails, and
 * so does the ROLLBACK sent on the dead connection, after which the ORM never hands the connection back to the pool.
 */
describe('PrismaService when Postgres goes away in the middle of a transaction', () => {
  let db: RelayedDatabase;
  let prisma: PrismaService;

  beforeEach(async () => {
    db = await relayedDatabase();
    prisma = new PrismaService(new AppConfig(validateEnv(rawTestEnv({ DATABASE_URL: db.relayedUrl }))));
  });
  afterEach(async () => {
    await db.close();
  });

  const cutMidTransaction = async () => {
    await expect(
      prisma.$transaction(async (tx) => {
        await tx.$queryRaw`SELECT 1`;
        db.proxy.cut();
        await tx.$queryRaw`SELECT 1`;
      }),
    ).rejects.toThrow();
    db.proxy.resume();
  };

  it('shuts down without waiting for the connection the transaction lost', async () => {
    await cutMidTransaction();
    const started = Date.now();
    await prisma.onModuleDestroy();
    // Below the 5 s it gives statements still in flight: a lost connection is not one of them.
    expect(Date.now() - started).toBeLessThan(5000);
  }, 20000);

  it('still has connections for queries after as many such outages as its pool has connections', async () => {
    for (let i = 0; i < POOL_SIZE; i++) await cutMidTransaction();
    await expect(prisma.$queryRaw`SELECT 1 AS one`).resolves.toEqual([{ one: 1 }]);
    await prisma.onModuleDestroy();
  }, 20000);
});
