import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool, PoolClient, QueryConfig, types } from 'pg';
import { AppConfig } from '@/config/app-config';
import { PrismaClient } from '@/generated/prisma/client';

/**
 * Column types as Prisma returns them, for the statements the hot paths run on the pool directly: int8 as bigint and
 * `timestamp` (stored in UTC, without a zone) as a UTC Date whatever the process's time zone.
 */
const ROW_TYPES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary'): unknown => {
    if (oid === (types.builtins.INT8 as number)) return (value: string) => BigInt(value);
    if (oid === (types.builtins.TIMESTAMP as number)) return (value: string) => new Date(`${value.replace(' ', 'T')}Z`);
    return types.getTypeParser(oid, format) as unknown;
  }) as typeof types.getTypeParser,
};

/** How long a shutdown waits for the statements in flight before it closes their connections. */
const SHUTDOWN_DB_WAIT_MS = 5000;

/**
 * Connection settings of the hot pool: its statements are keyed lookups and batch statements whose best plan does not
 * depend on the values, so each is planned once per connection. Left to itself, Postgres keeps re-planning the status
 * batch on every call (its generic plan's estimate looks worse than the custom plans), which is two thirds of its cost.
 */
const HOT_POOL_OPTIONS = '-c plan_cache_mode=force_generic_plan';

/**
 * The Prisma client over a node-postgres pool, and a second pool for the statements every send and every upstream
 * status runs (`rows()`): Prisma's query compiler costs several times the CPU of the query itself, which a gateway
 * doing thousands of them a second cannot afford. Only repositories inject it (style guide D2).
 */
@Injectable()
export class PrismaService extends PrismaClient implements OnModuleDestroy {
  private readonly logger = new Logger(PrismaService.name);
  private readonly ormPool: Pool;
  private readonly hotPool: Pool;
  /** Connections checked out of either pool right now, so a shutdown can end those that never come back. */
  private readonly busy = new Set<PoolClient>();

  constructor(config: AppConfig) {
    const ormPool = new Pool({ connectionString: config.get('DATABASE_URL'), connectionTimeoutMillis: 5000, max: 10 });
    super({ adapter: new PrismaPg(ormPool, { disposeExternalPool: false }) });
    this.ormPool = this.watch(ormPool);
    this.hotPool = this.watch(
      new Pool({
        connectionString: config.get('DATABASE_URL'),
        connectionTimeoutMillis: 5000,
        max: 10,
        options: HOT_POOL_OPTIONS,
      }),
    );
  }

  private watch(pool: Pool): Pool {
    // An idle connection that Postgres closes (a restart, a failover) must not take the process down with it.
    pool.on('error', (err) => this.logger.warn({ err: err.message }, 'An idle database connection was closed'));
    pool.on('acquire', (client) => this.busy.add(client));
    pool.on('release', (_err, client) => this.busy.delete(client));
    // Checked once the holder has had its turn to react to the failure (pg reports it on the next ticks).
    pool.on('connect', (client) => client.on('end', () => setImmediate(() => this.returnIfLost(client))));
    return pool;
  }

  /**
   * Hands back to the pool a checked-out connection whose server went away and that its holder dropped. The ORM does
   * that to a transaction's connection when its ROLLBACK (or COMMIT) fails on the dead connection: it never releases
   * it, so each outage that catches a transaction midway would take a connection from the pool for good, and the
   * pool's end at shutdown would wait for it forever.
   */
  private returnIfLost(client: PoolClient): void {
    if (!this.busy.has(client)) return;
    const release = client.release.bind(client);
    // A holder that releases it after all must not be told it released it twice.
    client.release = () => undefined;
    release(new Error('The connection to the database was lost while checked out'));
  }

  /**
   * One parameterised statement on the hot pool; rows use the column names as the SQL gives them. Each distinct text
   * is a named prepared statement, so Postgres parses and plans it once per connection instead of on every call.
   */
  async rows<T>(text: string, values: unknown[] = []): Promise<T[]> {
    try {
      return (await this.hotPool.query(this.prepared(text, values))).rows as T[];
    } catch (err) {
      // A migration that changed a table under a running process invalidates its prepared `SELECT *`: prepare anew.
      if ((err as { code?: string }).code !== '0A000') throw err;
      this.statementGeneration += 1;
      this.statementNames.clear();
      return (await this.hotPool.query(this.prepared(text, values))).rows as T[];
    }
  }

  private prepared(text: string, values: unknown[]): QueryConfig {
    let name = this.statementNames.get(text);
    if (name === undefined) {
      name = `nm_${this.statementGeneration}_${this.statementNames.size}`;
      this.statementNames.set(text, name);
    }
    return { name, text, values, types: ROW_TYPES };
  }

  private readonly statementNames = new Map<string, string>();
  private statementGeneration = 0;

  /**
   * Closes the pools once the statements in flight are done, waiting SHUTDOWN_DB_WAIT_MS at most: a connection whose
   * statement never ends (its server went away mid-statement without the socket noticing) would otherwise hold the
   * shutdown, and the process, open for good. Such connections are destroyed.
   */
  async onModuleDestroy(): Promise<void> {
    await this.$disconnect();
    const ended = Promise.all([this.ormPool.end(), this.hotPool.end()]);
    const inTime = await Promise.race([ended.then(() => true), sleep(SHUTDOWN_DB_WAIT_MS, false, { ref: false })]);
    if (inTime) return;
    this.logger.warn({ connections: this.busy.size }, 'Database connections still busy at shutdown; closing them');
    // Ending a client politely waits for its statement; destroying its socket fails the statement, which releases it.
    for (const client of this.busy)
      (client as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
    // Every connection is closed by now; a holder that still never hands one back must not hold the process open.
    await Promise.race([ended, sleep(SHUTDOWN_DB_WAIT_MS, undefined, { ref: false })]);
  }
}
