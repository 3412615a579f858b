import { Client } from 'pg';
import { hashApiKey } from '@/common/crypto/api-keys';
import { AppConfig } from '@/config/app-config';
import { validateEnv } from '@/config/env.schema';
import { PrismaService } from '@/database/prisma.service';
import { TenantReadCache } from '@/database/tenant-read-cache';
import { ApiKeyRepository } from '@/modules/auth/api-key.repository';
import { InstanceRepository } from '@/modules/instances/instance.repository';
import { MessageRepository } from '@/modules/messages/message.repository';
import { rawTestEnv } from '../../test/setup/test-env';

/** Every lookup goes to Postgres: the steps are timed as statements, not as cache hits. */
class NoCache extends TenantReadCache {
  override read<T>(_key: string, load: () => Promise<T | null>): Promise<T | null> {
    return load();
  }
}

export interface MicroResult {
  what: string;
  /** Which step of a send it is, and whether it ran as the gateway runs it or as plain node-postgres. */
  step: 'floor' | 'auth' | 'instance' | 'log' | 'accept';
  via: 'gateway' | 'pg' | 'prisma orm';
  /** Postgres round trips one call makes. */
  roundTrips: number;
  meanMs: number;
  /** CPU of the calling process per call (the benchmark process, otherwise idle during this step). */
  cpuMs: number;
}

/**
 * The database steps of a send, timed one at a time from outside the gateway: each as the gateway does it (its
 * repository method: hand-written SQL on the pg pool under Prisma, caches off), as the equivalent Prisma ORM call,
 * and as one plain node-postgres statement doing the same work. Sequential, so latency is round trips plus server
 * time; CPU per call is the client-side cost: the evidence for running the hot statements on the pool rather than
 * through the Prisma client.
 */
export async function dbMicrobench(
  databaseUrl: string,
  ctx: { apiKey: string; clientId: number; instanceId: string; instanceName: string },
  iterations = 300,
): Promise<MicroResult[]> {
  const prisma = new PrismaService(new AppConfig(validateEnv(rawTestEnv({ DATABASE_URL: databaseUrl }))));
  const pg = new Client({ connectionString: databaseUrl });
  await pg.connect();
  const repo = new MessageRepository(prisma);
  const keys = new ApiKeyRepository(prisma, new NoCache());
  const instances = new InstanceRepository(prisma, new NoCache());
  const keyHash = hashApiKey(ctx.apiKey);
  const results: MicroResult[] = [];

  const time = async (
    what: string,
    step: MicroResult['step'],
    via: MicroResult['via'],
    roundTrips: number,
    fn: () => Promise<unknown>,
  ) => {
    for (let i = 0; i < 50; i++) await fn();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < iterations; i++) await fn();
    const wall = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    results.push({
      what,
      step,
      via,
      roundTrips,
      meanMs: wall / iterations,
      cpuMs: (cpu.user + cpu.system) / 1000 / iterations,
    });
  };

  try {
    await time('pg: SELECT 1 (one round trip, the floor)', 'floor', 'pg', 1, () => pg.query('SELECT 1'));
    await time(
      'ApiKeyRepository.findByHash (the auth guard: key and client in one JOIN, pg pool)',
      'auth',
      'gateway',
      1,
      () => keys.findByHash(keyHash),
    );
    await time(
      'Prisma ORM: apiKey.findUnique({ where: { keyHash }, include: { client: true } })',
      'auth',
      'prisma orm',
      2,
      () => prisma.apiKey.findUnique({ where: { keyHash }, include: { client: true } }),
    );
    await time('pg: the same key and client in one JOIN', 'auth', 'pg', 1, () =>
      pg.query(
        'SELECT k.*, row_to_json(c) AS client FROM api_keys k JOIN clients c ON c.id = k.client_id WHERE k.key_hash = $1',
        [keyHash],
      ),
    );
    await time('InstanceRepository.findByNameForClient (instance lookup, pg pool)', 'instance', 'gateway', 1, () =>
      instances.findByNameForClient(ctx.clientId, ctx.instanceName),
    );
    await time(
      'Prisma ORM: instance.findFirst({ where: { clientId, name, deletedAt: null } })',
      'instance',
      'prisma orm',
      1,
      () => prisma.instance.findFirst({ where: { clientId: ctx.clientId, name: ctx.instanceName, deletedAt: null } }),
    );
    await time('pg: the same instance lookup', 'instance', 'pg', 1, () =>
      pg.query('SELECT * FROM instances WHERE client_id = $1 AND name = $2 AND deleted_at IS NULL LIMIT 1', [
        ctx.clientId,
        ctx.instanceName,
      ]),
    );
    await time(
      'MessageRepository.createForClient (the row and both rollups in one statement, pg pool)',
      'log',
      'gateway',
      1,
      () =>
        repo.createForClient(ctx.clientId, {
          instanceId: ctx.instanceId,
          source: 'api',
          number: '254712345678',
          messageType: 'text',
        }),
    );
    await time(
      'Prisma ORM: an interactive transaction (BEGIN, message.create, 2 upserts, COMMIT)',
      'log',
      'prisma orm',
      5,
      () =>
        prisma.$transaction(async (tx) => {
          const m = await tx.message.create({
            data: {
              clientId: ctx.clientId,
              instanceId: ctx.instanceId,
              source: 'api',
              number: '254712345678',
              messageType: 'text',
            },
          });
          await tx.$executeRaw`INSERT INTO message_counts (client_id, instance_id, status, count) VALUES (${m.clientId}, ${m.instanceId}::uuid, 'queued', 1)
          ON CONFLICT (client_id, instance_id, status) DO UPDATE SET count = message_counts.count + 1`;
          await tx.$executeRaw`INSERT INTO usage_daily (client_id, instance_id, day, message_type, attempts, sent, delivered, read, failed)
          VALUES (${m.clientId}, ${m.instanceId}::uuid, ${m.createdAt.toISOString().slice(0, 10)}::date, 'text', 1, 0, 0, 0, 0)
          ON CONFLICT (client_id, day, instance_id, message_type) DO UPDATE SET attempts = usage_daily.attempts + 1`;
        }),
    );
    await time(
      'pg: the same three writes as one statement (INSERT … RETURNING with two data-modifying CTEs)',
      'log',
      'pg',
      1,
      () =>
        pg.query(
          `WITH m AS (
           INSERT INTO messages (client_id, instance_id, source, number, message_type, status, created_at, updated_at)
           VALUES ($1, $2::uuid, 'api', $3, $4, 'queued', now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC') RETURNING *),
         c AS (
           INSERT INTO message_counts (client_id, instance_id, status, count) SELECT client_id, instance_id, status, 1 FROM m
           ON CONFLICT (client_id, instance_id, status) DO UPDATE SET count = message_counts.count + 1),
         u AS (
           INSERT INTO usage_daily (client_id, instance_id, day, message_type, attempts, sent, delivered, read, failed)
           SELECT client_id, instance_id, created_at::date, message_type, 1, 0, 0, 0, 0 FROM m
           ON CONFLICT (client_id, day, instance_id, message_type) DO UPDATE SET attempts = usage_daily.attempts + 1)
         SELECT * FROM m`,
          [ctx.clientId, ctx.instanceId, '254712345678', 'text'],
        ),
    );
    const [row] = (
      await pg.query<{ id: string }>('SELECT id::text FROM messages WHERE client_id = $1 ORDER BY id DESC LIMIT 1', [
        ctx.clientId,
      ])
    ).rows;
    const id = BigInt(row!.id);
    await time('MessageRepository.markAcceptedForClient (UPDATE … RETURNING, pg pool)', 'accept', 'gateway', 1, () =>
      repo.markAcceptedForClient(ctx.clientId, id, '3EB0BENCHMARK0000'),
    );
    await time('Prisma ORM: message.update({ where: { id, clientId } })', 'accept', 'prisma orm', 1, () =>
      prisma.message.update({
        where: { id, clientId: ctx.clientId },
        data: { upstreamMessageId: '3EB0BENCHMARK0000' },
      }),
    );
    await time('pg: the same UPDATE', 'accept', 'pg', 1, () =>
      pg.query(
        'UPDATE messages SET upstream_message_id = $1, updated_at = now() WHERE id = $2 AND client_id = $3 RETURNING *',
        ['3EB0BENCHMARK0000', id, ctx.clientId],
      ),
    );
    return results;
  } finally {
    await pg.end();
    await prisma.onModuleDestroy();
  }
}
