import { AppConfig } from '@/config/app-config';
import { PrismaService } from '@/database/prisma.service';
import { IsolatedEnv, isolatedEnv } from '../setup/test-env';

describe('PrismaService shutdown', () => {
  let isolated: IsolatedEnv;

  beforeAll(async () => {
    isolated = await isolatedEnv();
  });
  afterAll(() => isolated.cleanup());

  it('ends even when a statement in flight never finishes, closing its connection', async () => {
    const prisma = new PrismaService(new AppConfig(isolated.env));
    // A statement that outlives any shutdown, as one on a connection whose server vanished without the socket noticing.
    const stuck = prisma.rows('SELECT pg_sleep(600)');
    await new Promise((resolve) => setTimeout(resolve, 200));
    await prisma.onModuleDestroy();
    await expect(stuck).rejects.toThrow();
  }, 20000);
});
