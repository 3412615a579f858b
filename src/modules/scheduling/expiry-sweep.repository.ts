import { Injectable } from '@nestjs/common';
import { PrismaService } from '@/database/prisma.service';
import { Prisma } from '@/generated/prisma/client';

/** How much one sweep may change at most: what is left is taken by the next sweep. */
export interface SweepLimits {
  /** Scheduled messages expired per sweep. */
  messages: number;
  /** Bulks looked at per sweep, earliest expiry first. */
  bulks: number;
  /** Bulk recipients settled per sweep. */
  recipients: number;
}

/** What one sweep changed. */
export interface SweepOutcome {
  /** Scheduled messages moved to `expired`. */
  messages: number;
  /** Bulks whose recipients changed or that completed, each once: their progress is announced. */
  bulks: { id: string; clientId: number }[];
  /** Bulks the sweep completed. */
  completed: number;
  /** Log rows of interrupted bulk attempts moved from `queued` to `expired`: each held a unit of its day's cap. */
  closedAttempts: { instanceId: string; createdAt: Date }[];
}

/** A `timestamp` column written as Date.toISOString() writes it, for the same error texts as the send path's. */
const ISO = (column: string) => Prisma.raw(`to_char(${column}, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`);

interface SweepRow {
  kind: 'message' | 'bulk' | 'completed' | 'attempt';
  bulk_id: string | null;
  client_id: number;
  instance_id: string | null;
  created_at: Date | null;
}

/**
 * Expiries that came while nothing was looking, across tenants (each row keeps to its own client through the joins'
 * client ids). A scheduled message postponed past its expiry (its pacing slot was later) and the recipients of a
 * bulk that waits (paused by request, a disconnect, a restriction, the daily cap, or queued behind other bulks) are
 * otherwise expired only when a poller or a driver next reaches them, which may be never.
 */
@Injectable()
export class ExpirySweepRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * One statement, bounded by `limits`:
   * - scheduled messages past their expiry, unless a poller holds them (it expires them itself), become `expired`,
   *   their due time dropped, with the status counters moved, as ScheduledSendRepository.closeForClient does;
   * - in unfinished bulks past their expiry, every pending recipient becomes `expired` with the driver's reason, and
   *   a `sending` one that no live driver holds (a dead worker's) is settled as cancelling does: `sent` if the upstream
   *   had accepted it, `expired` otherwise, the `queued` log row of such an interrupted attempt moving to `expired`
   *   with both rollups (no longer an attempt);
   * - a bulk with nothing left to send then completes.
   * Rows another transaction holds are skipped and left to the next sweep, as is a recipient a live driver holds.
   * A recipient a driver claims while the sweep runs is left alone or expired: either way the driver, which checks the
   * bulk's expiry before every send, sends nothing after it.
   */
  async sweepForSystem(now: Date, limits: SweepLimits): Promise<SweepOutcome> {
    if (!(await this.anythingExpiredForSystem(now)))
      return { messages: 0, bulks: [], completed: 0, closedAttempts: [] };
    const rows = await this.prisma.$queryRaw<SweepRow[]>`
      WITH due_messages AS (
        SELECT m.id, m.client_id FROM scheduled_sends s
        JOIN messages m ON m.id = s.message_id AND m.client_id = s.client_id
        WHERE s.expires_at <= ${now}::timestamp AND (s.lease_until IS NULL OR s.lease_until < ${now}::timestamp)
          AND m.status = 'scheduled'
        ORDER BY s.expires_at LIMIT ${limits.messages}
        -- The message first, as every move of a scheduled message locks it before its due time.
        FOR UPDATE OF m SKIP LOCKED
      ), unscheduled AS (
        DELETE FROM scheduled_sends s USING due_messages d WHERE s.message_id = d.id AND s.client_id = d.client_id
        RETURNING s.message_id, s.client_id, s.expires_at
      ), expired_messages AS (
        UPDATE messages m SET status = 'expired', updated_at = ${now}::timestamp,
          error = 'Message expired at ' || ${ISO('u.expires_at')} || ' before it could be sent; it was not sent'
        FROM unscheduled u WHERE m.id = u.message_id AND m.client_id = u.client_id
        RETURNING m.client_id, m.instance_id
      ), expiring_bulks AS (
        SELECT b.id, b.client_id, b.expires_at, (b.lease_owner IS NOT NULL AND b.lease_until > now()) AS driven
        FROM bulk_jobs b
        WHERE b.status IN ('queued', 'running', 'paused') AND b.expires_at <= ${now}::timestamp
        ORDER BY b.expires_at LIMIT ${limits.bulks}
      ), picked AS (
        SELECT r.id, r.client_id, r.message_id, b.expires_at FROM bulk_recipients r
        JOIN expiring_bulks b ON b.id = r.bulk_id AND b.client_id = r.client_id
        WHERE r.status IN ('pending', 'sending') AND (r.status = 'pending' OR NOT b.driven)
        ORDER BY r.bulk_id, r.position LIMIT ${limits.recipients}
        FOR UPDATE OF r SKIP LOCKED
      ), settled AS (
        UPDATE bulk_recipients r SET
          status = CASE WHEN m.upstream_message_id IS NOT NULL THEN 'sent'::"RecipientStatus" ELSE 'expired'::"RecipientStatus" END,
          sent_at = CASE WHEN m.upstream_message_id IS NOT NULL THEN COALESCE(r.sent_at, ${now}::timestamp) ELSE r.sent_at END,
          error = CASE WHEN m.upstream_message_id IS NOT NULL THEN r.error
            ELSE 'expired: the bulk expired at ' || ${ISO('p.expires_at')} || ' before this recipient''s turn' END,
          updated_at = ${now}::timestamp
        FROM picked p LEFT JOIN messages m ON m.id = p.message_id AND m.client_id = p.client_id
        WHERE r.id = p.id
        RETURNING r.bulk_id, r.client_id, r.status, r.message_id, p.expires_at
      ), closed_attempts AS (
        UPDATE messages m SET status = 'expired', updated_at = ${now}::timestamp,
          error = 'Message expired at ' || ${ISO('s.expires_at')} || ' before it could be sent; it was not sent'
        FROM settled s
        WHERE s.status = 'expired' AND m.id = s.message_id AND m.client_id = s.client_id
          AND m.status = 'queued' AND m.upstream_message_id IS NULL
        RETURNING m.client_id, m.instance_id, m.message_type, m.created_at
      ), counted AS (
        INSERT INTO message_counts (client_id, instance_id, status, count)
        SELECT client_id, instance_id, status, sum(delta) FROM (
          SELECT client_id, instance_id, 'scheduled'::"MessageStatus" AS status, -1 AS delta FROM expired_messages
          UNION ALL SELECT client_id, instance_id, 'queued', -1 FROM closed_attempts
          UNION ALL SELECT client_id, instance_id, 'expired', 1 FROM expired_messages
          UNION ALL SELECT client_id, instance_id, 'expired', 1 FROM closed_attempts
        ) d GROUP BY client_id, instance_id, status ORDER BY client_id, instance_id, status
        ON CONFLICT (client_id, instance_id, status) DO UPDATE SET count = message_counts.count + EXCLUDED.count
        RETURNING 1
      ), used AS (
        -- An attempt that expires unsent is no attempt (rollupIncrements), on the day it was logged. It reads counted
        -- so that the counters are locked first, in the order every status change takes them.
        INSERT INTO usage_daily (client_id, instance_id, day, message_type, attempts, sent, delivered, read, failed)
        SELECT client_id, instance_id, created_at::date, message_type, -count(*), 0, 0, 0, 0
        FROM closed_attempts CROSS JOIN (SELECT count(*) FROM counted) AS after_counts
        GROUP BY client_id, created_at::date, instance_id, message_type
        ORDER BY client_id, created_at::date, instance_id, message_type
        ON CONFLICT (client_id, day, instance_id, message_type) DO UPDATE SET attempts = usage_daily.attempts + EXCLUDED.attempts
      ), completed AS (
        -- Nothing left to send: the recipients pending or sending when the statement began are all settled by it.
        UPDATE bulk_jobs j SET status = 'completed', pause_reason = NULL, finished_at = ${now}::timestamp,
          updated_at = ${now}::timestamp
        FROM expiring_bulks b
        WHERE j.id = b.id AND j.client_id = b.client_id AND j.status IN ('queued', 'running', 'paused')
          AND (SELECT count(*) FROM bulk_recipients r
               WHERE r.bulk_id = b.id AND r.client_id = b.client_id AND r.status IN ('pending', 'sending'))
            = (SELECT count(*) FROM settled s WHERE s.bulk_id = b.id)
        RETURNING j.id, j.client_id
      )
      SELECT 'message' AS kind, NULL AS bulk_id, client_id, NULL AS instance_id, NULL::timestamp AS created_at
        FROM expired_messages
      UNION ALL SELECT DISTINCT 'bulk', bulk_id::text, client_id, NULL, NULL::timestamp FROM settled
      UNION ALL SELECT 'completed', id::text, client_id, NULL, NULL::timestamp FROM completed
      UNION ALL SELECT 'attempt', NULL, client_id, instance_id::text, created_at FROM closed_attempts`;
    return outcomeOf(rows);
  }

  /**
   * Whether the sweep has anything to look at: two probes of the partial indexes, as a prepared statement on the hot
   * pool. Every worker sweeps every second, and the sweep itself, planned anew through Prisma each time, costs
   * several milliseconds of CPU even when it finds nothing, which is nearly always.
   */
  private async anythingExpiredForSystem(now: Date): Promise<boolean> {
    const [row] = await this.prisma.rows<{ due: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM scheduled_sends
                      WHERE expires_at <= $1::timestamptz AT TIME ZONE 'UTC'
                        AND (lease_until IS NULL OR lease_until < $1::timestamptz AT TIME ZONE 'UTC'))
           OR EXISTS (SELECT 1 FROM bulk_jobs
                      WHERE expires_at <= $1::timestamptz AT TIME ZONE 'UTC' AND status IN ('queued', 'running', 'paused'))
         AS due`,
      [now.toISOString()],
    );
    return row?.due === true;
  }
}

function outcomeOf(rows: SweepRow[]): SweepOutcome {
  const bulks = new Map<string, { id: string; clientId: number }>();
  for (const row of rows)
    if (row.bulk_id !== null) bulks.set(row.bulk_id, { id: row.bulk_id, clientId: row.client_id });
  return {
    messages: rows.filter((row) => row.kind === 'message').length,
    bulks: [...bulks.values()],
    completed: rows.filter((row) => row.kind === 'completed').length,
    closedAttempts: rows
      .filter((row) => row.kind === 'attempt')
      .map((row) => ({ instanceId: row.instance_id!, createdAt: row.created_at! })),
  };
}
