import { Injectable } from '@nestjs/common';
import { PrismaService } from '@/database/prisma.service';
import { rowMapper } from '@/database/row-mapping';
import { BulkRecipient, MessageStatus, Prisma, RecipientStatus } from '@/generated/prisma/client';

/**
 * A claimed recipient and what its log row says, when it has one: a row is linked to its recipient as it is written,
 * so a recipient re-driven after a crash finds the attempt that was interrupted.
 */
export type ClaimedRecipient = BulkRecipient & {
  logged: { status: MessageStatus; upstreamMessageId: string | null } | null;
};

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

/**
 * A bulk's recipients, one at a time or counted: their counts and pages for the API and the progress events, a
 * cancel's sweep of those not sent, and the driver's claim, settle and release of each (the claim renews the bulk's
 * lease in the same statement). Kept apart from BulkRepository, which holds the bulk rows and creates a bulk's
 * recipients with it, so the per-recipient statements of listing and sending read together.
 */
@Injectable()
export class BulkRecipientRepository {
  constructor(private readonly prisma: PrismaService) {}

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
}

/** Counts by recipient status, every status at zero. */
function noRecipients(): Record<RecipientStatus, number> {
  return { pending: 0, sending: 0, sent: 0, delivered: 0, read: 0, failed: 0, cancelled: 0, skipped: 0, expired: 0 };
}
