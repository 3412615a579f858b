import { Injectable } from '@nestjs/common';
import { PrismaService } from '@/database/prisma.service';
import { Message, MessageSource, MessageStatus, Prisma } from '@/generated/prisma/client';
import { canAdvance, rollupIncrements } from './message-status';

export interface NewMessage {
  instanceId: string;
  bulkId?: string | null;
  source: MessageSource;
  number: string;
  messageType: string;
  status?: MessageStatus;
  error?: string | null;
}

export interface MessageFilters {
  instanceIds?: string[];
  status?: MessageStatus;
  number?: string;
  bulkId?: string;
  from?: Date;
  to?: Date;
}

export type MessageWithInstance = Message & { instance: { name: string } };

type Tx = Prisma.TransactionClient;

/**
 * The message log. Every write also moves the rollups in the same transaction: `message_counts` (current status,
 * for the log's totals) and `usage_daily` (milestones per day and type, for stats), so neither read scans the log.
 */
@Injectable()
export class MessageRepository {
  constructor(private readonly prisma: PrismaService) {}

  createForClient(clientId: number, data: NewMessage): Promise<Message> {
    return this.prisma.$transaction(async (tx) => {
      const message = await tx.message.create({ data: { ...data, clientId, status: data.status ?? 'queued' } });
      await moveCount(tx, message, null, message.status);
      await addUsage(tx, message, { attempts: 1, ...rollupIncrements('queued', message.status) });
      return message;
    });
  }

  /** The upstream accepted the message (HTTP 201, status PENDING): remember its WhatsApp id. */
  async markAcceptedForClient(clientId: number, id: bigint, upstreamMessageId: string): Promise<Message> {
    return this.prisma.message.update({ where: { id, clientId }, data: { upstreamMessageId } });
  }

  /** Moves a message forward; a transition the status rules forbid changes nothing and returns null. */
  advanceForClient(clientId: number, id: bigint, to: MessageStatus, error?: string): Promise<Message | null> {
    return this.prisma.$transaction(async (tx) => {
      const [row] = await tx.$queryRaw<Record<string, unknown>[]>`SELECT * FROM messages WHERE id = ${id} AND client_id = ${clientId} FOR UPDATE`;
      return row ? advance(tx, toMessage(row), to, error) : null;
    });
  }

  /**
   * Applies an upstream status (messages.update) to the message with that WhatsApp id; a repeat or a step back
   * changes nothing. 'unknown' when no message has that id (yet).
   */
  applyUpstreamStatusForSystem(instanceId: string, upstreamMessageId: string, to: MessageStatus): Promise<'applied' | 'ignored' | 'unknown'> {
    return this.prisma.$transaction(async (tx) => {
      const [row] = await tx.$queryRaw<Record<string, unknown>[]>`
        SELECT * FROM messages WHERE instance_id = ${instanceId}::uuid AND upstream_message_id = ${upstreamMessageId}
        ORDER BY id DESC LIMIT 1 FOR UPDATE`;
      if (!row) return 'unknown' as const;
      return (await advance(tx, toMessage(row), to)) ? ('applied' as const) : ('ignored' as const);
    });
  }

  listForClient(clientId: number, filters: MessageFilters, page: { limit: number; offset: number; beforeId?: bigint }): Promise<MessageWithInstance[]> {
    return this.prisma.message.findMany({
      where: { ...where(clientId, filters), ...(page.beforeId !== undefined ? { id: { lt: page.beforeId } } : {}) },
      include: { instance: { select: { name: true } } },
      orderBy: { id: 'desc' },
      take: page.limit,
      skip: page.beforeId !== undefined ? 0 : page.offset,
    });
  }

  countForClient(clientId: number, filters: MessageFilters): Promise<number> {
    return this.prisma.message.count({ where: where(clientId, filters) });
  }

  /** Total from the status counters, for filters on instance and status only. */
  async countFromCountersForClient(clientId: number, instanceIds: string[] | undefined, status: MessageStatus | undefined): Promise<number> {
    const result = await this.prisma.messageCount.aggregate({
      where: { clientId, status, instanceId: instanceIds ? { in: instanceIds } : undefined },
      _sum: { count: true },
    });
    return result._sum.count ?? 0;
  }

  /** Messages attempted today on the instance, to re-seed the daily cap after a Redis loss. */
  async attemptsTodayForClient(clientId: number, instanceId: string, now: Date): Promise<number> {
    const day = new Date(now.toISOString().slice(0, 10));
    const result = await this.prisma.usageDaily.aggregate({ where: { clientId, instanceId, day }, _sum: { attempts: true, failed: true } });
    return (result._sum.attempts ?? 0) - (result._sum.failed ?? 0);
  }
}

function where(clientId: number, f: MessageFilters): Prisma.MessageWhereInput {
  return {
    clientId,
    instanceId: f.instanceIds ? { in: f.instanceIds } : undefined,
    status: f.status,
    number: f.number,
    bulkId: f.bulkId,
    createdAt: f.from || f.to ? { gte: f.from, lt: f.to } : undefined,
  };
}

async function advance(tx: Tx, message: Message, to: MessageStatus, error?: string): Promise<Message | null> {
  if (!canAdvance(message.status, to)) return null;
  const now = new Date();
  const stamp = { sent: { sentAt: now }, delivered: { deliveredAt: now }, read: { readAt: now }, failed: { failedAt: now }, queued: {} }[to];
  const updated = await tx.message.update({ where: { id: message.id }, data: { status: to, ...stamp, ...(error ? { error } : {}) } });
  await moveCount(tx, message, message.status, to);
  await addUsage(tx, message, { attempts: 0, ...rollupIncrements(message.status, to) });
  return updated;
}

async function moveCount(tx: Tx, m: Message, from: MessageStatus | null, to: MessageStatus): Promise<void> {
  if (from) {
    await tx.$executeRaw`UPDATE message_counts SET count = count - 1
      WHERE client_id = ${m.clientId} AND instance_id = ${m.instanceId}::uuid AND status = ${from}::"MessageStatus"`;
  }
  await tx.$executeRaw`INSERT INTO message_counts (client_id, instance_id, status, count)
    VALUES (${m.clientId}, ${m.instanceId}::uuid, ${to}::"MessageStatus", 1)
    ON CONFLICT (client_id, instance_id, status) DO UPDATE SET count = message_counts.count + 1`;
}

async function addUsage(tx: Tx, m: Message, add: { attempts: number; sent: number; delivered: number; read: number; failed: number }): Promise<void> {
  if (Object.values(add).every((n) => n === 0)) return;
  const day = m.createdAt.toISOString().slice(0, 10);
  await tx.$executeRaw`INSERT INTO usage_daily (client_id, instance_id, day, message_type, attempts, sent, delivered, read, failed)
    VALUES (${m.clientId}, ${m.instanceId}::uuid, ${day}::date, ${m.messageType}, ${add.attempts}, ${add.sent}, ${add.delivered}, ${add.read}, ${add.failed})
    ON CONFLICT (client_id, day, instance_id, message_type) DO UPDATE SET
      attempts = usage_daily.attempts + EXCLUDED.attempts, sent = usage_daily.sent + EXCLUDED.sent,
      delivered = usage_daily.delivered + EXCLUDED.delivered, read = usage_daily.read + EXCLUDED.read,
      failed = usage_daily.failed + EXCLUDED.failed`;
}

/** $queryRaw returns column names; map the few the status logic reads. */
function toMessage(row: Record<string, unknown>): Message {
  return {
    id: row.id as bigint,
    clientId: row.client_id as number,
    instanceId: row.instance_id as string,
    bulkId: (row.bulk_id as string | null) ?? null,
    source: row.source as MessageSource,
    number: row.number as string,
    messageType: row.message_type as string,
    status: row.status as MessageStatus,
    upstreamMessageId: (row.upstream_message_id as string | null) ?? null,
    error: (row.error as string | null) ?? null,
    createdAt: row.created_at as Date,
    updatedAt: row.updated_at as Date,
    sentAt: (row.sent_at as Date | null) ?? null,
    deliveredAt: (row.delivered_at as Date | null) ?? null,
    readAt: (row.read_at as Date | null) ?? null,
    failedAt: (row.failed_at as Date | null) ?? null,
  };
}
