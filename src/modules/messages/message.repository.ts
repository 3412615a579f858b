import { Injectable } from '@nestjs/common';
import { NotFoundError } from '@/common/errors/app-error';
import { PrismaService } from '@/database/prisma.service';
import { fromRow } from '@/database/raw-row';
import { Message, MessageSource, MessageStatus, Prisma } from '@/generated/prisma/client';
import { canAdvance, rollupIncrements } from './message-status';

export interface NewMessage {
  instanceId: string;
  bulkId?: string | null;
  /** The bulk recipient this attempt sends to: linked to the row in the same statement. */
  bulkRecipientId?: bigint;
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
 * The message log. Every write also moves the rollups atomically with it: `message_counts` (current status,
 * for the log's totals) and `usage_daily` (milestones per day and type, for stats), so neither read scans the log.
 */
@Injectable()
export class MessageRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** The row, both rollups and the link from its bulk recipient in one statement: this runs for every send. */
  async createForClient(clientId: number, data: NewMessage): Promise<Message> {
    const status = data.status ?? 'queued';
    const add = { attempts: 1, ...rollupIncrements('queued', status) };
    const now = new Date();
    const [row] = await this.prisma.$queryRaw<Record<string, unknown>[]>`
      WITH m AS (
        INSERT INTO messages (client_id, instance_id, bulk_id, source, number, message_type, status, error, created_at, updated_at)
        VALUES (${clientId}, ${data.instanceId}::uuid, ${data.bulkId ?? null}::uuid, ${data.source}::"MessageSource", ${data.number},
                ${data.messageType}, ${status}::"MessageStatus", ${data.error ?? null}, ${now}, ${now})
        RETURNING *
      ), counted AS (
        INSERT INTO message_counts (client_id, instance_id, status, count) SELECT client_id, instance_id, status, 1 FROM m
        ON CONFLICT (client_id, instance_id, status) DO UPDATE SET count = message_counts.count + 1
        RETURNING 1
      ), used AS (
        -- Reading counted makes its row lock come first, the order status changes take too: Postgres does not
        -- otherwise order sibling CTEs, and the opposite order deadlocks with a concurrent status change.
        INSERT INTO usage_daily (client_id, instance_id, day, message_type, attempts, sent, delivered, read, failed)
        SELECT client_id, instance_id, ${utcDay(now)}::date, message_type, ${add.attempts}, ${add.sent}, ${add.delivered}, ${add.read}, ${add.failed}
        FROM m CROSS JOIN counted
        ${ON_USAGE_CONFLICT}
      )${
        data.bulkRecipientId === undefined
          ? Prisma.empty
          : Prisma.sql`, linked AS (
        UPDATE bulk_recipients SET message_id = m.id FROM m WHERE bulk_recipients.id = ${data.bulkRecipientId} AND bulk_recipients.client_id = ${clientId}
      )`
      }
      SELECT * FROM m`;
    return fromRow<Message>(row!);
  }

  /** The upstream accepted the message (HTTP 201, status PENDING): remember its WhatsApp id. */
  async markAcceptedForClient(clientId: number, id: bigint, upstreamMessageId: string): Promise<Message> {
    const [row] = await this.prisma.$queryRaw<Record<string, unknown>[]>`
      UPDATE messages SET upstream_message_id = ${upstreamMessageId}, updated_at = ${new Date()}
      WHERE id = ${id} AND client_id = ${clientId} RETURNING *`;
    if (!row) throw new NotFoundError(`Message ${id} does not exist`, 'MESSAGE_NOT_FOUND');
    return fromRow<Message>(row);
  }

  /** Moves a message forward; a transition the status rules forbid changes nothing and returns null. */
  advanceForClient(clientId: number, id: bigint, to: MessageStatus, error?: string): Promise<Message | null> {
    return this.prisma.$transaction(async (tx) => {
      const [row] = await tx.$queryRaw<Record<string, unknown>[]>`SELECT * FROM messages WHERE id = ${id} AND client_id = ${clientId} FOR UPDATE`;
      return row ? advance(tx, fromRow<Message>(row), to, error) : null;
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
      return (await advance(tx, fromRow<Message>(row), to)) ? ('applied' as const) : ('ignored' as const);
    });
  }

  /** The log's pages, newest first: hand-written SQL, as this is the most read endpoint after sends. */
  async listForClient(clientId: number, filters: MessageFilters, page: { limit: number; offset: number; beforeId?: bigint }): Promise<MessageWithInstance[]> {
    const rows = await this.prisma.$queryRaw<Record<string, unknown>[]>`
      SELECT m.*, i.name AS instance_name FROM messages m JOIN instances i ON i.id = m.instance_id
      WHERE ${whereSql(clientId, filters)} ${page.beforeId !== undefined ? Prisma.sql`AND m.id < ${page.beforeId}` : Prisma.empty}
      ORDER BY m.id DESC LIMIT ${page.limit} OFFSET ${page.beforeId !== undefined ? 0 : page.offset}`;
    return rows.map(({ instance_name, ...row }) => ({ ...fromRow<Message>(row), instance: { name: instance_name as string } }));
  }

  async countForClient(clientId: number, filters: MessageFilters): Promise<number> {
    const [row] = await this.prisma.$queryRaw<{ total: bigint }[]>`SELECT count(*) AS total FROM messages m WHERE ${whereSql(clientId, filters)}`;
    return Number(row!.total);
  }

  /** Total from the status counters, for filters on instance and status only. */
  async countFromCountersForClient(clientId: number, instanceIds: string[] | undefined, status: MessageStatus | undefined): Promise<number> {
    const [row] = await this.prisma.$queryRaw<{ total: bigint | null }[]>`
      SELECT SUM(count) AS total FROM message_counts WHERE client_id = ${clientId}
      ${instanceIds ? Prisma.sql`AND instance_id = ANY(${instanceIds}::uuid[])` : Prisma.empty}
      ${status ? Prisma.sql`AND status = ${status}::"MessageStatus"` : Prisma.empty}`;
    return Number(row?.total ?? 0);
  }

  /** Messages attempted today on the instance, to re-seed the daily cap after a Redis loss. */
  async attemptsTodayForClient(clientId: number, instanceId: string, now: Date): Promise<number> {
    const day = new Date(utcDay(now));
    const result = await this.prisma.usageDaily.aggregate({ where: { clientId, instanceId, day }, _sum: { attempts: true, failed: true } });
    return (result._sum.attempts ?? 0) - (result._sum.failed ?? 0);
  }
}

/** The log's filters, for the hand-written list and count queries (messages aliased `m`). */
function whereSql(clientId: number, f: MessageFilters): Prisma.Sql {
  const conditions = [
    Prisma.sql`m.client_id = ${clientId}`,
    f.instanceIds && Prisma.sql`m.instance_id = ANY(${f.instanceIds}::uuid[])`,
    f.status && Prisma.sql`m.status = ${f.status}::"MessageStatus"`,
    f.number !== undefined && Prisma.sql`m.number = ${f.number}`,
    f.bulkId !== undefined && Prisma.sql`m.bulk_id = ${f.bulkId}::uuid`,
    f.from && Prisma.sql`m.created_at >= ${f.from}`,
    f.to && Prisma.sql`m.created_at < ${f.to}`,
  ].filter((c): c is Prisma.Sql => Boolean(c));
  return Prisma.join(conditions, ' AND ');
}

/** The column that records when a message reached each status. */
const STAMP_COLUMNS: Record<MessageStatus, string | null> = { queued: null, sent: 'sent_at', delivered: 'delivered_at', read: 'read_at', failed: 'failed_at' };

async function advance(tx: Tx, message: Message, to: MessageStatus, error?: string): Promise<Message | null> {
  if (!canAdvance(message.status, to)) return null;
  const now = new Date();
  const stampColumn = STAMP_COLUMNS[to];
  const stamp = stampColumn ? Prisma.sql`, ${Prisma.raw(stampColumn)} = ${now}` : Prisma.empty;
  const setError = error ? Prisma.sql`, error = ${error}` : Prisma.empty;
  const [row] = await tx.$queryRaw<Record<string, unknown>[]>`
    UPDATE messages SET status = ${to}::"MessageStatus", updated_at = ${now}${stamp}${setError} WHERE id = ${message.id} RETURNING *`;
  const updated = fromRow<Message>(row!);
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
  await tx.$executeRaw`INSERT INTO usage_daily (client_id, instance_id, day, message_type, attempts, sent, delivered, read, failed)
    VALUES (${m.clientId}, ${m.instanceId}::uuid, ${utcDay(m.createdAt)}::date, ${m.messageType}, ${add.attempts}, ${add.sent}, ${add.delivered}, ${add.read}, ${add.failed})
    ${ON_USAGE_CONFLICT}`;
}

/** Usage is counted on the day (UTC) the message was created. */
function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

const ON_USAGE_CONFLICT = Prisma.sql`ON CONFLICT (client_id, day, instance_id, message_type) DO UPDATE SET
  attempts = usage_daily.attempts + EXCLUDED.attempts, sent = usage_daily.sent + EXCLUDED.sent,
  delivered = usage_daily.delivered + EXCLUDED.delivered, read = usage_daily.read + EXCLUDED.read,
  failed = usage_daily.failed + EXCLUDED.failed`;
