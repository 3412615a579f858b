import { Injectable } from '@nestjs/common';
import { PrismaService } from '@/database/prisma.service';
import { rowMapper } from '@/database/row-mapping';
import { Upstream } from '@/generated/prisma/client';

/** An upstream with the number of live instances it holds. */
export type UpstreamWithLoad = Upstream & { liveInstances: number };

const upstreamWithLoadRow = rowMapper<UpstreamWithLoad>('upstreams', {
  id: 'number',
  name: 'string',
  url: 'string',
  apiKeyEncrypted: 'string',
  capacity: 'number',
  draining: 'boolean',
  createdAt: 'date',
  updatedAt: 'date',
  liveInstances: 'number',
});

/** First key of the two-key advisory lock that serialises creating the first upstream across booting processes. */
const FIRST_UPSTREAM_LOCK = 4203;

export type NewUpstream = Pick<Upstream, 'name' | 'url' | 'apiKeyEncrypted' | 'capacity'>;
export type UpstreamChange = Partial<Pick<Upstream, 'url' | 'apiKeyEncrypted' | 'capacity' | 'draining'>>;

/**
 * The pool of upstream servers. Operator data, not a tenant's: no query here is scoped by client, and none reads or
 * writes a tenant's rows beyond counting and adopting instances by upstream.
 */
@Injectable()
export class UpstreamRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Every upstream with its live instance count: every process reads it at each probe round, so it is one prepared
   * statement on the hot pool (see PrismaService.rows) rather than two queries through the ORM.
   */
  async listWithLoad(): Promise<UpstreamWithLoad[]> {
    const rows = await this.prisma.rows<Record<string, unknown>>(
      `SELECT u.*, (SELECT count(*) FROM instances i WHERE i.upstream_id = u.id AND i.deleted_at IS NULL)::int
         AS live_instances FROM upstreams u ORDER BY u.id`,
    );
    return rows.map(upstreamWithLoadRow);
  }

  /**
   * Creates the first upstream unless one exists (processes booting at once create it once), and gives every live
   * instance made before the pool existed to the oldest upstream. Answers the number of instances adopted.
   */
  firstUpstream(data: NewUpstream): Promise<{ created: boolean; adopted: number }> {
    return this.prisma.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(${FIRST_UPSTREAM_LOCK}, 0)`;
      const oldest = await tx.upstream.findFirst({ orderBy: { id: 'asc' }, select: { id: true } });
      const first = oldest ?? (await tx.upstream.create({ data, select: { id: true } }));
      const { count } = await tx.instance.updateMany({
        where: { upstreamId: null, deletedAt: null },
        data: { upstreamId: first.id },
      });
      return { created: oldest === null, adopted: count };
    });
  }

  create(data: NewUpstream): Promise<Upstream> {
    return this.prisma.upstream.create({ data });
  }

  async update(id: number, data: UpstreamChange): Promise<Upstream | null> {
    const { count } = await this.prisma.upstream.updateMany({ where: { id }, data });
    return count === 0 ? null : this.prisma.upstream.findUnique({ where: { id } });
  }

  /**
   * Deletes an upstream that holds no live instance: 'in-use' when it holds one, 'missing' when there is no such
   * upstream. The instances deleted earlier let go of it (their late events can no longer come from it).
   */
  remove(id: number): Promise<'deleted' | 'in-use' | 'missing'> {
    return this.prisma.$transaction(async (tx) => {
      const upstream = await tx.$queryRaw<{ id: number }[]>`SELECT id FROM upstreams WHERE id = ${id} FOR UPDATE`;
      if (upstream.length === 0) return 'missing';
      if ((await tx.instance.count({ where: { upstreamId: id, deletedAt: null } })) > 0) return 'in-use';
      await tx.instance.updateMany({ where: { upstreamId: id, deletedAt: { not: null } }, data: { upstreamId: null } });
      await tx.upstream.delete({ where: { id } });
      return 'deleted';
    });
  }
}
