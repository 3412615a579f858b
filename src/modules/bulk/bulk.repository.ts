import { Injectable } from '@nestjs/common';
import { PrismaService } from '@/database/prisma.service';
import { rowMapper } from '@/database/row-mapping';
import {
  BulkJob,
  BulkRecipient,
  BulkStatus,
  Client,
  Instance,
  MessageStatus,
  Prisma,
  RecipientStatus,
} from '@/generated/prisma/client';

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
 * A claimed recipient and what its log row says, when it has one: a row is linked to its recipient as it is written,
 * so a recipient re-driven after a crash finds the attempt that was interrupted.
 */
export type ClaimedRecipient = BulkRecipient & {
  logged: { status: MessageStatus; upstreamMessageId: string | null } | null;
};

/** Bulks and their recipients, the source of truth of every bulk: Redis only holds the schedule. */
const recipientRow = rowMapper<BulkRecipient>('bulk_recipients', {
  id: 'bigint',
  bulkId: 'string',
  clientId: 'number',
  position: 'number',
  number: 'string',
  variables: 'json?',
  status: 'string',
  messageId: 'bigint?',
  attempts: 'number',
  error: 'string?',
  sentAt: 'date?',
  updatedAt: 'date',
});

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

  async countsForClient(clientId: number, bulkId: string): Promise<Record<RecipientStatus, number>> {
    const rows = await this.prisma.bulkRecipient.groupBy({
      by: ['status'],
      where: { clientId, bulkId },
      _count: { _all: true },
    });
    const counts = noRecipients();
    for (const row of rows) counts[row.status] = row._count._all;
    return counts;
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

  /** Recipients by status of each of the client's bulks named, in one query; a bulk of another client counts none. */
  async countsOfBulksForClient(
    clientId: number,
    bulkIds: string[],
  ): Promise<Map<string, Record<RecipientStatus, number>>> {
    const rows =
      bulkIds.length === 0
        ? []
        : await this.prisma.bulkRecipient.groupBy({
            by: ['bulkId', 'status'],
            where: { clientId, bulkId: { in: bulkIds } },
            _count: { _all: true },
          });
    const counts = new Map(bulkIds.map((id) => [id, noRecipients()]));
    for (const row of rows) {
      const bulk = counts.get(row.bulkId);
      if (bulk) bulk[row.status] = row._count._all;
    }
    return counts;
  }

  /** Recipients by position, each with its message's delivery status. */
  recipientsForClient(clientId: number, bulkId: string, after: number, limit: number) {
    return this.prisma.bulkRecipient.findMany({
      where: { clientId, bulkId, position: { gt: after } },
      orderBy: { position: 'asc' },
      take: limit,
      include: { message: { select: { status: true, upstreamMessageId: true } } },
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

  /**
   * Cancels the recipients not sent yet: pending ones, and `sending` ones no live driver holds (a dead worker's; one
   * the upstream had accepted is settled as sent). A live driver's recipient is settled by that driver, whose
   * release turns it cancelled (see releaseRecipientForClient). Returns the log rows of attempts interrupted before
   * they left (still `queued`, never accepted), which nothing will send now.
   */
  async cancelPendingForClient(clientId: number, bulkId: string, reason: string | null = null): Promise<bigint[]> {
    const rows = await this.prisma.$queryRaw<{ id: bigint }[]>`
      WITH accepted AS (
        SELECT r.id FROM bulk_recipients r JOIN messages m ON m.id = r.message_id AND m.client_id = ${clientId}
        WHERE r.client_id = ${clientId} AND r.bulk_id = ${bulkId}::uuid AND r.status = 'sending' AND m.upstream_message_id IS NOT NULL
      ), cancelled AS (
        UPDATE bulk_recipients r SET
          status = CASE WHEN r.id IN (SELECT id FROM accepted) THEN 'sent'::"RecipientStatus" ELSE 'cancelled'::"RecipientStatus" END,
          sent_at = CASE WHEN r.id IN (SELECT id FROM accepted) THEN COALESCE(r.sent_at, now()) ELSE r.sent_at END,
          error = CASE WHEN r.id IN (SELECT id FROM accepted) THEN r.error ELSE COALESCE(${reason}, r.error) END,
          updated_at = now()
        WHERE r.client_id = ${clientId} AND r.bulk_id = ${bulkId}::uuid
          AND (r.status = 'pending' OR (r.status = 'sending' AND NOT EXISTS (
            SELECT 1 FROM bulk_jobs b WHERE b.id = r.bulk_id AND b.lease_owner IS NOT NULL AND b.lease_until > now())))
        RETURNING r.message_id, r.status
      )
      SELECT m.id FROM messages m JOIN cancelled c ON m.id = c.message_id
      WHERE c.status = 'cancelled' AND m.client_id = ${clientId} AND m.status = 'queued' AND m.upstream_message_id IS NULL`;
    return rows.map((row) => row.id);
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

  /**
   * For the bulk's driver `owner`, in one statement: renews its lease if the bulk is still running, its instance
   * still exists and nobody else holds it, then takes the next recipient by position and marks it `sending`, with the status of its log row if it
   * has one. 'stop' when the bulk is no longer running or another driver holds it; undefined when nothing is left to
   * send. A recipient already `sending` was in flight when a worker died: it is taken again, and its log row tells
   * the driver whether the upstream had accepted it.
   */
  async claimNextForClient(
    clientId: number,
    bulkId: string,
    owner: string,
    leaseMs: number,
  ): Promise<ClaimedRecipient | 'stop' | undefined> {
    const [row] = await this.prisma.$queryRaw<Record<string, unknown>[]>`
      WITH leased AS (
        UPDATE bulk_jobs SET lease_owner = ${owner}, lease_until = now() + ${leaseMs} * interval '1 millisecond'
        WHERE id = ${bulkId}::uuid AND client_id = ${clientId} AND status = 'running'
          AND (lease_owner IS NULL OR lease_owner = ${owner} OR lease_until < now())
          -- A deleted instance's name may belong to a new upstream instance soon: nothing more leaves for it.
          AND EXISTS (SELECT 1 FROM instances i WHERE i.id = bulk_jobs.instance_id AND i.deleted_at IS NULL)
        RETURNING id
      ), claimed AS (
        UPDATE bulk_recipients SET status = 'sending', attempts = attempts + 1, updated_at = now()
        WHERE id = (
          SELECT id FROM bulk_recipients
          WHERE bulk_id = (SELECT id FROM leased) AND client_id = ${clientId} AND status IN ('pending', 'sending')
          ORDER BY position LIMIT 1 FOR UPDATE SKIP LOCKED
        ) RETURNING *
      )
      SELECT EXISTS (SELECT 1 FROM leased) AS leased, claimed.*, m.status AS logged_status, m.upstream_message_id AS logged_upstream_id
      FROM (SELECT 1) AS one LEFT JOIN claimed ON true LEFT JOIN messages m ON m.id = claimed.message_id AND m.client_id = ${clientId}`;
    const { leased, logged_status, logged_upstream_id, ...recipient } = row as Record<string, unknown>;
    if (!leased) return 'stop';
    if (recipient.id === null) return undefined;
    const logged = logged_status
      ? { status: logged_status as MessageStatus, upstreamMessageId: logged_upstream_id as string | null }
      : null;
    return { ...recipientRow(recipient), logged };
  }

  /** Settles a recipient; without a message id it keeps the log row it is linked to, if any. */
  async finishRecipientForClient(
    clientId: number,
    id: bigint,
    status: 'sent' | 'failed' | 'skipped' | 'expired',
    messageId: bigint | null,
    error: string | null,
  ): Promise<void> {
    const now = new Date();
    await this.prisma.$executeRaw`
      UPDATE bulk_recipients SET status = ${status}::"RecipientStatus", message_id = COALESCE(${messageId}, message_id), error = ${error},
        updated_at = ${now}
        ${status === 'sent' ? Prisma.sql`, sent_at = ${now}` : Prisma.empty}
      WHERE id = ${id} AND client_id = ${clientId}`;
  }

  /**
   * Gives an unsent recipient back (pacing full, instance disconnected, retry later). `uncountAttempt` takes back the
   * attempt its claim counted, for a claim that never reached the upstream.
   */
  async releaseRecipientForClient(
    clientId: number,
    id: bigint,
    error: string | null = null,
    options: { uncountAttempt?: boolean } = {},
  ): Promise<void> {
    // A recipient released after its bulk was cancelled is cancelled with it (the cancel left it to this driver).
    await this.prisma.$executeRaw`
      UPDATE bulk_recipients r SET
        status = CASE WHEN b.status = 'cancelled' THEN 'cancelled'::"RecipientStatus" ELSE 'pending'::"RecipientStatus" END,
        error = CASE WHEN b.status = 'cancelled' THEN COALESCE(b.pause_reason, ${error}) ELSE ${error} END,
        attempts = r.attempts - ${options.uncountAttempt ? 1 : 0},
        updated_at = now()
      FROM bulk_jobs b
      WHERE r.id = ${id} AND r.client_id = ${clientId} AND r.status = 'sending' AND b.id = r.bulk_id`;
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

/** Counts by recipient status, every status at zero. */
function noRecipients(): Record<RecipientStatus, number> {
  return { pending: 0, sending: 0, sent: 0, delivered: 0, read: 0, failed: 0, cancelled: 0, skipped: 0, expired: 0 };
}
