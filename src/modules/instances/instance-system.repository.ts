import { Injectable } from '@nestjs/common';
import { PrismaService } from '@/database/prisma.service';
import { rowMapper } from '@/database/row-mapping';
import { TenantReadCache } from '@/database/tenant-read-cache';
import { Instance, Prisma } from '@/generated/prisma/client';
import { INSTANCE_COLUMNS, instanceRow, LIVE } from './instance.repository';

/** An instance with what the webhook receiver needs of its client: the default webhook URL and the keyword lists. */
export type ReceivingInstance = Instance & {
  clientWebhookUrl: string | null;
  clientOptOutKeywords: string[];
  clientOptInKeywords: string[];
};
const receivingInstanceRow = rowMapper<ReceivingInstance>('instances', {
  ...INSTANCE_COLUMNS,
  clientWebhookUrl: 'string?',
  clientOptOutKeywords: 'strings',
  clientOptInKeywords: 'strings',
});

/** An instance with the names of its client and upstream, for the operator's list. */
export type InstanceWithClient = Instance & {
  client: { id: number; name: string };
  upstream: { id: number; name: string } | null;
};

/**
 * Instance reads and writes no client scopes, by design: the upstream webhook receiver's lookups by name (instance
 * names are global, and the receiver knows only the name in its URL), the workers' token refresh and drift checks,
 * and the operator's views across clients. They live apart from InstanceRepository, whose every method is
 * tenant-scoped, so the queries without a client id sit in one place and say so in their names (`...ForSystem`,
 * `...ForOperator`).
 */
@Injectable()
export class InstanceSystemRepository {
  constructor(
    private readonly prisma: PrismaService,
    private readonly cache: TenantReadCache,
  ) {}

  /**
   * The webhook receiver knows only the instance name in its URL; the header token then proves the sender. Runs for
   * every upstream event: hand-written SQL (see rowMapper).
   */
  async findLiveByNameForSystem(name: string): Promise<Instance | null> {
    const [row] = await this.prisma.rows<Record<string, unknown>>(
      'SELECT * FROM instances WHERE name = $1 AND deleted_at IS NULL LIMIT 1',
      [name],
    );
    return row ? instanceRow(row) : null;
  }

  /**
   * The webhook receiver's lookup, run for every upstream event (four per send): the instance with its client's
   * webhook URL and opt-out keywords at once, cached like the send path's lookups (see TenantReadCache).
   */
  findLiveByNameWithClientUrlForSystem(name: string): Promise<ReceivingInstance | null> {
    return this.cache.read(`receiver:${name}`, async () => {
      const [row] = await this.prisma.rows<Record<string, unknown>>(
        `SELECT i.*, c.webhook_url AS client_webhook_url, c.opt_out_keywords AS client_opt_out_keywords,
           c.opt_in_keywords AS client_opt_in_keywords FROM instances i JOIN clients c ON c.id = i.client_id
         WHERE i.name = $1 AND i.deleted_at IS NULL LIMIT 1`,
        [name],
      );
      return row ? receivingInstanceRow(row) : null;
    });
  }

  /**
   * Ids of the latest deleted instances with this name, newest first: the upstream keeps posting a deleted
   * instance's events for a while (its delete trail, its retries), and the receiver recognises them by their id.
   */
  async deletedByNameForSystem(name: string, limit: number): Promise<{ id: string; upstreamId: number | null }[]> {
    const rows = await this.prisma.rows<{ id: string; upstream_id: number | null }>(
      'SELECT id, upstream_id FROM instances WHERE name = $1 AND deleted_at IS NOT NULL ORDER BY deleted_at DESC LIMIT $2',
      [name, limit],
    );
    return rows.map((r) => ({ id: r.id, upstreamId: r.upstream_id }));
  }

  /** Whether the gateway deleted an instance with this name (for any client: names are global) since then. */
  async deletedSinceForSystem(name: string, since: Date): Promise<boolean> {
    const found = await this.prisma.instance.findFirst({
      where: { name, deletedAt: { gte: since } },
      select: { id: true },
    });
    return found !== null;
  }

  /** The upstream of each of these instances (ids the caller already listed within its scope). */
  async upstreamsOfIdsForSystem(ids: string[]): Promise<Map<string, number | null>> {
    const rows = await this.prisma.instance.findMany({
      where: { id: { in: ids } },
      select: { id: true, upstreamId: true },
    });
    return new Map(rows.map((r) => [r.id, r.upstreamId]));
  }

  /** Token lookup for upstream calls: the instance id was resolved through a tenant-scoped query before. */
  findTokenForSystem(
    id: string,
  ): Promise<Pick<
    Instance,
    'id' | 'clientId' | 'name' | 'upstreamInstanceId' | 'upstreamId' | 'tokenEncrypted'
  > | null> {
    return this.prisma.instance.findUnique({
      where: { id },
      select: {
        id: true,
        clientId: true,
        name: true,
        upstreamInstanceId: true,
        upstreamId: true,
        tokenEncrypted: true,
      },
    });
  }

  async storeTokenForSystem(id: string, tokenEncrypted: string, now: Date): Promise<void> {
    await this.cache.written(
      this.prisma.instance.update({ where: { id }, data: { tokenEncrypted, tokenCheckedAt: now } }),
    );
  }

  listLiveForSystem(): Promise<Instance[]> {
    return this.prisma.instance.findMany({ where: LIVE, orderBy: { createdAt: 'asc' } });
  }

  async recordDriftForSystem(id: string, note: string, changes: Prisma.InstanceUpdateInput, now: Date): Promise<void> {
    await this.cache.written(
      this.prisma.instance.update({
        where: { id },
        data: { ...changes, driftNote: note, driftAt: now, tokenCheckedAt: now },
      }),
    );
  }

  async markCheckedForSystem(ids: string[], now: Date): Promise<void> {
    await this.prisma.instance.updateMany({ where: { id: { in: ids } }, data: { tokenCheckedAt: now } });
  }

  /** The operator's routes name an instance by id only; the tenant it belongs to comes from the row. */
  findLiveByIdForOperator(id: string): Promise<Instance | null> {
    return this.prisma.instance.findFirst({ where: { id, ...LIVE } });
  }

  listAllForOperator(
    filter: { clientId?: number; upstreamId?: number },
    limit: number,
    offset: number,
  ): Promise<[InstanceWithClient[], number]> {
    const where = { ...LIVE, clientId: filter.clientId, upstreamId: filter.upstreamId };
    return this.prisma.$transaction([
      this.prisma.instance.findMany({
        where,
        include: { client: { select: { id: true, name: true } }, upstream: { select: { id: true, name: true } } },
        orderBy: { createdAt: 'asc' },
        take: limit,
        skip: offset,
      }),
      this.prisma.instance.count({ where }),
    ]);
  }
}
