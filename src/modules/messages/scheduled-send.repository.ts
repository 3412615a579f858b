import { Injectable } from '@nestjs/common';
import { PrismaService } from '@/database/prisma.service';
import { Client, Instance, Message, MessageStatus, Prisma, ScheduledSend } from '@/generated/prisma/client';
import { advance, messageRow } from './message.repository';
import { canAdvance } from './message-status';

/** A scheduled message that came due, with what sending it needs. */
export type DueSend = ScheduledSend & { message: Message & { instance: Instance & { client: Client } } };

/** Where a scheduled message went instead of leaving: the message as it is now, and whether this call moved it. */
export interface Closed {
  message: Message;
  moved: boolean;
  instanceName: string;
  /** The due time and expiry it had, when this call moved it. */
  schedule: { sendAt: Date; expiresAt: Date | null } | null;
}

/**
 * The due times of scheduled messages (scheduled_sends). Their rows leave this table in the transaction that moves
 * the message out of `scheduled`, so a message is started, cancelled or expired once, whoever tries first.
 */
@Injectable()
export class ScheduledSendRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Leases up to `limit` due rows for `leaseMs`: concurrent pollers skip each other's rows, and a row whose poller
   * died before starting its message is claimed again once the lease has passed.
   */
  claimDueForSystem(now: Date, limit: number, leaseMs: number): Promise<{ messageId: bigint; clientId: number }[]> {
    return this.prisma.$queryRaw<{ messageId: bigint; clientId: number }[]>`
      UPDATE scheduled_sends s SET lease_until = ${now}::timestamp + ${leaseMs} * interval '1 millisecond'
      WHERE s.message_id IN (
        SELECT message_id FROM scheduled_sends
        WHERE send_at <= ${now}::timestamp AND (lease_until IS NULL OR lease_until < ${now}::timestamp)
        ORDER BY send_at LIMIT ${limit} FOR UPDATE SKIP LOCKED
      )
      RETURNING s.message_id AS "messageId", s.client_id AS "clientId"`;
  }

  findDueForClient(clientId: number, messageId: bigint): Promise<DueSend | null> {
    return this.prisma.scheduledSend.findFirst({
      where: { clientId, messageId },
      include: { message: { include: { instance: { include: { client: true } } } } },
    });
  }

  /** The message's due time and expiry; null when it is not (or no longer) scheduled. */
  findForClient(clientId: number, messageId: bigint): Promise<ScheduledSend | null> {
    return this.prisma.scheduledSend.findFirst({ where: { clientId, messageId } });
  }

  /** Puts a claimed row back with a later due time (its pacing slot was too far away). */
  async postponeForClient(clientId: number, messageId: bigint, sendAt: Date): Promise<void> {
    await this.prisma.scheduledSend.updateMany({
      where: { clientId, messageId },
      data: { sendAt, leaseUntil: null },
    });
  }

  /** The scheduled message is going out: it becomes `queued` (an attempt). Null when it is no longer scheduled. */
  async startForClient(clientId: number, messageId: bigint): Promise<Message | null> {
    const closed = await this.moveForClient(clientId, messageId, 'queued');
    return closed?.moved ? closed.message : null;
  }

  /**
   * Moves a scheduled message to cancelled, expired or failed, dropping its due time in the same transaction.
   * `moved` is false when it was no longer scheduled (the message is returned as it is); null: no such message.
   */
  closeForClient(
    clientId: number,
    messageId: bigint,
    to: Extract<MessageStatus, 'cancelled' | 'expired' | 'failed'>,
    error?: string,
    instanceId?: string,
  ): Promise<Closed | null> {
    return this.moveForClient(clientId, messageId, to, error, instanceId);
  }

  /** `instanceId` narrows the lookup to one instance's messages (an instance key's caller). */
  private moveForClient(
    clientId: number,
    messageId: bigint,
    to: MessageStatus,
    error?: string,
    instanceId?: string,
  ): Promise<Closed | null> {
    return this.prisma.$transaction(async (tx) => {
      const [row] = await tx.$queryRaw<Record<string, unknown>[]>`
        SELECT m.*, i.name AS instance_name FROM messages m JOIN instances i ON i.id = m.instance_id
        WHERE m.id = ${messageId} AND m.client_id = ${clientId}
        ${instanceId ? Prisma.sql`AND m.instance_id = ${instanceId}::uuid` : Prisma.empty}
        FOR UPDATE OF m`;
      if (!row) return null;
      const { instance_name, ...columns } = row;
      const instanceName = instance_name as string;
      const message = messageRow(columns);
      if (message.status !== 'scheduled' || !canAdvance(message.status, to))
        return { message, moved: false, instanceName, schedule: null };
      const [schedule] = await tx.$queryRaw<{ sendAt: Date; expiresAt: Date | null }[]>`
        DELETE FROM scheduled_sends WHERE message_id = ${messageId} AND client_id = ${clientId}
        RETURNING send_at AS "sendAt", expires_at AS "expiresAt"`;
      return { message: await advance(tx, message, to, error), moved: true, instanceName, schedule: schedule ?? null };
    });
  }
}
