import { Injectable } from '@nestjs/common';
import { PrismaService } from '@/database/prisma.service';

/** The timing of bulks: scheduled ones coming due, and recipients whose bulk expired before their turn. */
@Injectable()
export class BulkScheduleRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Queues the scheduled bulks that are due (up to `limit`), for the poller to drive. Concurrent pollers skip each
   * other's rows; a bulk queued here whose drive is lost (a crash right after) is re-driven as any queued bulk is.
   */
  startDueForSystem(now: Date, limit: number): Promise<{ id: string; clientId: number }[]> {
    return this.prisma.$queryRaw<{ id: string; clientId: number }[]>`
      UPDATE bulk_jobs SET status = 'queued', updated_at = ${now}::timestamp
      WHERE id IN (
        SELECT id FROM bulk_jobs WHERE status = 'scheduled' AND send_at <= ${now}::timestamp
        ORDER BY send_at LIMIT ${limit} FOR UPDATE SKIP LOCKED
      )
      RETURNING id::text, client_id AS "clientId"`;
  }

  /** Marks every recipient still waiting as expired (the bulk's expiry passed); returns how many. */
  expirePendingForClient(clientId: number, bulkId: string, reason: string): Promise<number> {
    return this.prisma.$executeRaw`
      UPDATE bulk_recipients SET status = 'expired', error = ${reason}, updated_at = now()
      WHERE client_id = ${clientId} AND bulk_id = ${bulkId}::uuid AND status = 'pending'`;
  }
}
