import { Injectable } from '@nestjs/common';
import { PrismaService } from '@/database/prisma.service';
import { BulkJob, BulkStatus, Client, Instance, Prisma } from '@/generated/prisma/client';

export interface NewRecipient {
  position: number;
  number: string;
  variables?: Record<string, string | number>;
}

export type BulkForRun = BulkJob & { instance: Instance & { client: Client } };

export interface BulkFilters {
  instanceIds?: string[];
  status?: BulkStatus;
  /** Only bulks listed after this one: created earlier, or at the same time with a smaller id. */
  before?: { createdAt: Date; id: string };
}

export type ListedBulk = Omit<BulkJob, 'message'> & { instance: { name: string } };

/**
 * Bulks, the source of truth of every bulk (Redis only holds the schedule): their creation with their recipients,
 * their status, the driver's lease, and the lists the pauses and resumes act on. Reading and settling single
 * recipients is BulkRecipientRepository's.
 */
@Injectable()
export class BulkRepository {
  constructor(private readonly prisma: PrismaService) {}

  createForClient(
    clientId: number,
    bulk: {
      instanceId: string;
      message: string;
      delayMs: number;
      warnings: string[];
      checkNumbers?: boolean;
      /** `queued` unless given. */
      status?: Extract<BulkStatus, 'queued' | 'scheduled'>;
      sendAt?: Date | null;
      expiresAt?: Date | null;
    },
    recipients: NewRecipient[],
  ): Promise<BulkJob> {
    return this.prisma.$transaction(
      async (tx) => {
        const created = await tx.bulkJob.create({
          data: { ...bulk, clientId, total: recipients.length },
        });
        // One statement for up to 10,000 rows: three arrays unnested server-side cost a fraction of a multi-row
        // createMany, whose parameters Prisma builds one by one.
        await tx.$executeRaw`
          INSERT INTO bulk_recipients (bulk_id, client_id, position, number, variables, updated_at)
          SELECT ${created.id}::uuid, ${clientId}, r.position, r.number, r.variables::jsonb, ${new Date()}
          FROM unnest(
            ${recipients.map((r) => r.position)}::int[],
            ${recipients.map((r) => r.number)}::text[],
            ${recipients.map((r) => (r.variables ? JSON.stringify(r.variables) : null))}::text[]
          ) AS r(position, number, variables)`;
        return created;
      },
      { timeout: 30000 },
    );
  }

  findForClient(clientId: number, id: string): Promise<(BulkJob & { instance: { name: string } }) | null> {
    return this.prisma.bulkJob.findFirst({
      where: { clientId, id },
      include: { instance: { select: { name: true } } },
    });
  }

  /**
   * The client's bulks, newest first, keyset-paged after `before` (creation time, then id). Without their message,
   * which may be long and which a list does not show.
   */
  listForClient(clientId: number, filters: BulkFilters, limit: number): Promise<ListedBulk[]> {
    const { before } = filters;
    return this.prisma.bulkJob.findMany({
      where: {
        clientId,
        instanceId: filters.instanceIds ? { in: filters.instanceIds } : undefined,
        status: filters.status,
        OR: before
          ? [{ createdAt: { lt: before.createdAt } }, { createdAt: before.createdAt, id: { lt: before.id } }]
          : undefined,
      },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: limit,
      omit: { message: true },
      include: { instance: { select: { name: true } } },
    });
  }

  /** Moves the bulk from one of `from` to `to`; false when it was in another status. */
  async transitionForClient(
    clientId: number,
    id: string,
    from: BulkStatus[],
    to: BulkStatus,
    pauseReason: string | null = null,
  ): Promise<boolean> {
    const now = new Date();
    const { count } = await this.prisma.bulkJob.updateMany({
      where: { clientId, id, status: { in: from } },
      data: {
        status: to,
        pauseReason,
        ...(to === 'completed' || to === 'cancelled' ? { finishedAt: now } : {}),
      },
    });
    return count === 1;
  }

  // ---- the worker's view ----

  findForRun(clientId: number, id: string): Promise<BulkForRun | null> {
    return this.prisma.bulkJob.findFirst({
      where: { clientId, id },
      include: { instance: { include: { client: true } } },
    });
  }

  /**
   * Takes or renews the bulk's driver lease for `owner`. False when another live driver holds it: that driver
   * carries on and this one stops.
   */
  async leaseForClient(clientId: number, id: string, owner: string, ms: number): Promise<boolean> {
    const count = await this.prisma.$executeRaw`
      UPDATE bulk_jobs SET lease_owner = ${owner}, lease_until = now() + ${ms} * interval '1 millisecond'
      WHERE id = ${id}::uuid AND client_id = ${clientId} AND (lease_owner IS NULL OR lease_owner = ${owner} OR lease_until < now())`;
    return count === 1;
  }

  async releaseLeaseForClient(clientId: number, id: string, owner: string): Promise<void> {
    await this.prisma.bulkJob.updateMany({
      where: { clientId, id, leaseOwner: owner },
      data: { leaseOwner: null, leaseUntil: null },
    });
  }

  async markStartedForClient(clientId: number, id: string): Promise<void> {
    await this.prisma.bulkJob.updateMany({
      where: { clientId, id, status: { in: ['queued', 'running'] } },
      data: { status: 'running' },
    });
    await this.prisma.bulkJob.updateMany({ where: { clientId, id, startedAt: null }, data: { startedAt: new Date() } });
  }

  /** Finishes the bulk when nothing is left to send. */
  async completeIfDoneForClient(clientId: number, id: string): Promise<boolean> {
    const left = await this.prisma.bulkRecipient.count({
      where: { clientId, bulkId: id, status: { in: ['pending', 'sending'] } },
    });
    if (left > 0) return false;
    return this.transitionForClient(clientId, id, ['running', 'queued'], 'completed');
  }

  /** Bulks that should be running, for re-driving after a worker or Redis loss. */
  listActiveForSystem(): Promise<Pick<BulkJob, 'id' | 'clientId'>[]> {
    return this.prisma.bulkJob.findMany({
      where: { status: { in: ['queued', 'running'] } },
      select: { id: true, clientId: true },
    });
  }

  /** The bulks of an instance that are not finished: scheduled, queued, running or paused. */
  listUnfinishedOfInstanceForClient(clientId: number, instanceId: string): Promise<Pick<BulkJob, 'id' | 'clientId'>[]> {
    return this.prisma.bulkJob.findMany({
      where: { clientId, instanceId, status: { in: ['scheduled', 'queued', 'running', 'paused'] } },
      select: { id: true, clientId: true },
    });
  }

  listPausedOfInstanceForSystem(
    instanceId: string,
    reasonPrefixes: string[],
  ): Promise<Pick<BulkJob, 'id' | 'clientId'>[]> {
    return this.prisma.bulkJob.findMany({
      where: {
        instanceId,
        status: 'paused',
        OR: reasonPrefixes.map((prefix) => ({ pauseReason: { startsWith: prefix } })),
      },
      select: { id: true, clientId: true },
    });
  }

  /** Bulks paused with a reason starting `reasonPrefix` whose instance lives on this upstream. */
  listPausedOnUpstreamForSystem(upstreamId: number, reasonPrefix: string): Promise<Pick<BulkJob, 'id' | 'clientId'>[]> {
    return this.prisma.bulkJob.findMany({
      where: { status: 'paused', pauseReason: { startsWith: reasonPrefix }, instance: { upstreamId } },
      select: { id: true, clientId: true },
    });
  }

  /**
   * Pauses the instance's queued and running bulks with `reason`, and gives it to those paused with a reason starting
   * with `replacedPrefix` too; the ids of the bulks it changed.
   */
  pauseOfInstanceForClient(
    clientId: number,
    instanceId: string,
    reason: string,
    replacedPrefix: string,
  ): Promise<string[]> {
    const where: Prisma.BulkJobWhereInput = {
      clientId,
      instanceId,
      OR: [
        { status: { in: ['queued', 'running'] } },
        { status: 'paused', pauseReason: { startsWith: replacedPrefix } },
      ],
    };
    return this.prisma.$transaction(async (tx) => {
      const ids = (await tx.bulkJob.findMany({ where, select: { id: true } })).map((bulk) => bulk.id);
      await tx.bulkJob.updateMany({
        where: { ...where, id: { in: ids } },
        data: { status: 'paused', pauseReason: reason },
      });
      return ids;
    });
  }
}
