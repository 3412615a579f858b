import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import { Pool, QueryConfig, types } from 'pg';
import { AppConfig } from '@/config/app-config';
import { PrismaClient } from '@/generated/prisma/client';

/**
 * Column types as Prisma returns them, for the statements the hot paths run on the pool directly: int8 as bigint and
 * `timestamp` (stored in UTC, without a zone) as a UTC Date whatever the process's time zone.
 */
const ROW_TYPES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === types.builtins.INT8) return (value: string) => BigInt(value);
    if (oid === types.builtins.TIMESTAMP) return (value: string) => new Date(`${value.replace(' ', 'T')}Z`);
    return types.getTypeParser(oid, format);
  }) as typeof types.getTypeParser,
};

/**
 * The Prisma client over a node-postgres pool. Only repositories inject it (style guide D2). The statements every
 * send and every upstream status runs go to the same pool through `rows()`: Prisma's query compiler costs several
 * times the CPU of the query itself, which a gateway doing thousands of them a second cannot afford.
 */
@Injectable()
export class PrismaService extends PrismaClient implements OnModuleDestroy {
  private readonly pool: Pool;

  constructor(config: AppConfig) {
    const pool = new Pool({ connectionString: config.get('DATABASE_URL'), connectionTimeoutMillis: 5000, max: 10 });
    // An idle connection that Postgres closes (a restart, a failover) must not take the process down with it.
    pool.on('error', (err) => new Logger(PrismaService.name).warn({ err: err.message }, 'An idle database connection was closed'));
    super({ adapter: new PrismaPg(pool, { disposeExternalPool: false }) });
    this.pool = pool;
  }

  /** One parameterised statement on the pool; rows use the column names as the SQL gives them. */
  async rows<T>(text: string, values: unknown[] = []): Promise<T[]> {
    const query: QueryConfig = { text, values, types: ROW_TYPES };
    return (await this.pool.query(query)).rows as T[];
  }

  async onModuleDestroy(): Promise<void> {
    await this.$disconnect();
    await this.pool.end();
  }
}
