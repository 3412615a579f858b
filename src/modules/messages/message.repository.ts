import { Injectable } from '@nestjs/common';
import { PrismaService } from '@/database/prisma.service';
import { rowMapper } from '@/database/row-mapping';
import { Message, MessageSource, MessageStatus, Prisma } from '@/generated/prisma/client';
import { DeliveryStatus, rollupIncrements } from './message-status';

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
  /** For a `scheduled` message: when it is due and what to send then, kept in scheduled_sends with the row. */
  schedule?: { sendAt: Date; expiresAt: Date | null; payload: Prisma.InputJsonValue };
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

export interface UpstreamStatus {
  instanceId: string;
  upstreamMessageId: string;
  status: DeliveryStatus;
}

export type StatusOutcome = 'applied' | 'ignored' | 'unknown';

function compareKeys(a: UpstreamStatus, b: UpstreamStatus): number {
  return a.instanceId < b.instanceId
    ? -1
    : a.instanceId > b.instanceId
      ? 1
      : a.upstreamMessageId < b.upstreamMessageId
        ? -1
        : a.upstreamMessageId > b.upstreamMessageId
          ? 1
          : 0;
}

type Tx = Prisma.TransactionClient;

export const messageRow = rowMapper<Message>('messages', {
  id: 'bigint',
  clientId: 'number',
  instanceId: 'string',
  bulkId: 'string?',
  source: 'string',
  number: 'string',
  messageType: 'string',
  status: 'string',
  upstreamMessageId: 'string?',
  error: 'string?',
  createdAt: 'date',
  updatedAt: 'date',
  sentAt: 'date?',
  deliveredAt: 'date?',
  readAt: 'date?',
  failedAt: 'date?',
});

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
    // Counted as if it left `scheduled`: a queued or failed row is an attempt, a scheduled or expired one is not.
    const add = rollupIncrements('scheduled', status);
    const [row] = await this.prisma.rows<Record<string, unknown>>(CREATE_MESSAGE_SQL, [
      clientId,
      data.instanceId,
      data.bulkId ?? null,
      data.source,
      data.number,
      data.messageType,
      status,
      data.error ?? null,
      new Date().toISOString(),
      add.sent,
      add.delivered,
      add.read,
      add.failed,
      data.bulkRecipientId ?? null,
      add.attempts,
      data.schedule?.sendAt.toISOString() ?? null,
      data.schedule?.expiresAt?.toISOString() ?? null,
      data.schedule ? JSON.stringify(data.schedule.payload) : null,
    ]);
    return messageRow(row!);
  }

  /** The upstream accepted the message (HTTP 201, status PENDING): remember its WhatsApp id. Null: no such message. */
  async markAcceptedForClient(clientId: number, id: bigint, upstreamMessageId: string): Promise<Message | null> {
    const [row] = await this.prisma.rows<Record<string, unknown>>(
      'UPDATE messages SET upstream_message_id = $1, updated_at = $2::timestamp WHERE id = $3 AND client_id = $4 RETURNING *',
      [upstreamMessageId, new Date().toISOString(), id, clientId],
    );
    return row ? messageRow(row) : null;
  }

  /**
   * Moves a message to `to`, with both rollups, when its status is one of `from` (the status rules decide which, see
   * statusesAdvancingTo); otherwise changes nothing and returns null, as for a message that does not exist.
   */
  advanceForClient(
    clientId: number,
    id: bigint,
    move: { from: MessageStatus[]; to: MessageStatus; error?: string },
  ): Promise<Message | null> {
    return this.prisma.$transaction(async (tx) => {
      const [row] = await tx.$queryRaw<
        Record<string, unknown>[]
      >`SELECT * FROM messages WHERE id = ${id} AND client_id = ${clientId} FOR UPDATE`;
      const message = row ? messageRow(row) : null;
      return message && move.from.includes(message.status) ? advance(tx, message, move.to, move.error) : null;
    });
  }

  /**
   * Applies a batch of upstream statuses (messages.update), at most one per message, in one statement with both
   * rollups: a repeat or a step back changes nothing. One outcome per item, in order; 'unknown' when no message has
   * that id (yet). Rows are locked in (instance, WhatsApp id) order and the rollups in key order, so concurrent
   * batches and sends cannot deadlock on each other.
   */
  async applyUpstreamStatusesForSystem(items: UpstreamStatus[]): Promise<StatusOutcome[]> {
    const order = items.map((item, index) => ({ item, index })).sort((a, b) => compareKeys(a.item, b.item));
    const rows = await this.prisma.rows<{ position: number; outcome: StatusOutcome }>(APPLY_STATUSES_SQL, [
      order.map((o) => o.index),
      order.map((o) => o.item.instanceId),
      order.map((o) => o.item.upstreamMessageId),
      order.map((o) => o.item.status),
    ]);
    const outcomes: StatusOutcome[] = items.map(() => 'unknown');
    for (const row of rows) outcomes[row.position] = row.outcome;
    return outcomes;
  }

  /** The log's pages, newest first: hand-written SQL, as this is the most read endpoint after sends. */
  async listForClient(
    clientId: number,
    filters: MessageFilters,
    page: { limit: number; offset: number; beforeId?: bigint },
  ): Promise<MessageWithInstance[]> {
    const rows = await this.prisma.$queryRaw<Record<string, unknown>[]>(listSql(clientId, filters, page));
    return rows.map(withInstanceRow);
  }

  /**
   * One page of an export: the log's query for the rows below `beforeId`, on the hot pool, whose rows cost a fifth of
   * the CPU Prisma's raw queries take (an export reads every row of the log).
   */
  async exportPageForClient(
    clientId: number,
    filters: MessageFilters,
    page: { limit: number; beforeId?: bigint },
  ): Promise<MessageWithInstance[]> {
    const query = listSql(clientId, filters, { ...page, offset: 0 });
    // Dates as ISO strings: a `timestamp` column takes their UTC digits, whatever the process's time zone (node-postgres
    // would write a Date in local time).
    const values = query.values.map((value) => (value instanceof Date ? value.toISOString() : value));
    const rows = await this.prisma.rows<Record<string, unknown>>(query.text, values);
    return rows.map(withInstanceRow);
  }

  async countForClient(clientId: number, filters: MessageFilters): Promise<number> {
    const [row] = await this.prisma.$queryRaw<
      { total: bigint }[]
    >`SELECT count(*) AS total FROM messages m WHERE ${whereSql(clientId, filters)}`;
    return Number(row!.total);
  }

  /** Total from the status counters, for filters on instance and status only. */
  async countFromCountersForClient(
    clientId: number,
    instanceIds: string[] | undefined,
    status: MessageStatus | undefined,
  ): Promise<number> {
    const [row] = await this.prisma.$queryRaw<{ total: bigint | null }[]>`
      SELECT SUM(count) AS total FROM message_counts WHERE client_id = ${clientId}
      ${instanceIds ? Prisma.sql`AND instance_id = ANY(${instanceIds}::uuid[])` : Prisma.empty}
      ${status ? Prisma.sql`AND status = ${status}::"MessageStatus"` : Prisma.empty}`;
    return Number(row?.total ?? 0);
  }

  /** Messages attempted today on the instance, to re-seed the daily cap after a Redis loss. */
  async attemptsTodayForClient(clientId: number, instanceId: string, now: Date): Promise<number> {
    const day = new Date(utcDay(now));
    const result = await this.prisma.usageDaily.aggregate({
      where: { clientId, instanceId, day },
      _sum: { attempts: true, failed: true },
    });
    return (result._sum.attempts ?? 0) - (result._sum.failed ?? 0);
  }
}

/** The log's rows newest first, a page at an offset or below a keyset cursor, with their instance's name. */
function listSql(
  clientId: number,
  filters: MessageFilters,
  page: { limit: number; offset: number; beforeId?: bigint },
): Prisma.Sql {
  return Prisma.sql`
    SELECT m.*, i.name AS instance_name FROM messages m JOIN instances i ON i.id = m.instance_id
    WHERE ${whereSql(clientId, filters)} ${page.beforeId !== undefined ? Prisma.sql`AND m.id < ${page.beforeId}` : Prisma.empty}
    ORDER BY m.id DESC LIMIT ${page.limit} OFFSET ${page.beforeId !== undefined ? 0 : page.offset}`;
}

function withInstanceRow({ instance_name, ...row }: Record<string, unknown>): MessageWithInstance {
  return { ...messageRow(row), instance: { name: instance_name as string } };
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
const STAMP_COLUMNS: Record<MessageStatus, string | null> = {
  queued: null,
  sent: 'sent_at',
  delivered: 'delivered_at',
  read: 'read_at',
  failed: 'failed_at',
  scheduled: null,
  cancelled: null,
  expired: null,
};

/** Moves a locked message to `to` with both rollups (the caller checked the move is allowed). */
export async function advance(tx: Tx, message: Message, to: MessageStatus, error?: string): Promise<Message> {
  const now = new Date();
  const stampColumn = STAMP_COLUMNS[to];
  const stamp = stampColumn ? Prisma.sql`, ${Prisma.raw(stampColumn)} = ${now}` : Prisma.empty;
  const setError = error ? Prisma.sql`, error = ${error}` : Prisma.empty;
  const [row] = await tx.$queryRaw<Record<string, unknown>[]>`
    UPDATE messages SET status = ${to}::"MessageStatus", updated_at = ${now}${stamp}${setError} WHERE id = ${message.id} RETURNING *`;
  const updated = messageRow(row!);
  await moveCount(tx, message, message.status, to);
  await addUsage(tx, message, rollupIncrements(message.status, to));
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

async function addUsage(
  tx: Tx,
  m: Message,
  add: { attempts: number; sent: number; delivered: number; read: number; failed: number },
): Promise<void> {
  if (Object.values(add).every((n) => n === 0)) return;
  await tx.$executeRaw`INSERT INTO usage_daily (client_id, instance_id, day, message_type, attempts, sent, delivered, read, failed)
    VALUES (${m.clientId}, ${m.instanceId}::uuid, ${utcDay(m.createdAt)}::date, ${m.messageType}, ${add.attempts}, ${add.sent}, ${add.delivered}, ${add.read}, ${add.failed})
    ${ON_USAGE_CONFLICT}`;
}

/** Usage is counted on the day (UTC) the message was created. */
function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

const ON_USAGE_CONFLICT_SQL = `ON CONFLICT (client_id, day, instance_id, message_type) DO UPDATE SET
  attempts = usage_daily.attempts + EXCLUDED.attempts, sent = usage_daily.sent + EXCLUDED.sent,
  delivered = usage_daily.delivered + EXCLUDED.delivered, read = usage_daily.read + EXCLUDED.read,
  failed = usage_daily.failed + EXCLUDED.failed`;
const ON_USAGE_CONFLICT = Prisma.raw(ON_USAGE_CONFLICT_SQL);

/**
 * The status rules of message-status.ts in SQL, for a batch: `rank` orders the statuses, a move is allowed when
 * canAdvance allows it, and each moved message adds to the rollups what rollupIncrements says.
 */
const APPLY_STATUSES_SQL = `
WITH ranks(status, rank) AS (
  VALUES ('queued'::"MessageStatus", 0), ('sent', 1), ('failed', 1.5), ('delivered', 2), ('read', 3)
), input AS (
  SELECT i.position, i.instance_id, i.upstream_id, i.status::"MessageStatus" AS to_status, i.ord
  FROM unnest($1::int[], $2::uuid[], $3::text[], $4::text[]) WITH ORDINALITY AS i(position, instance_id, upstream_id, status, ord)
), found AS (
  SELECT input.*, m.id, m.status AS from_status
  FROM input CROSS JOIN LATERAL (
    SELECT id, status FROM messages WHERE instance_id = input.instance_id AND upstream_message_id = input.upstream_id
    ORDER BY id DESC LIMIT 1 FOR UPDATE
  ) m
), allowed AS (
  SELECT f.*, rf.rank AS from_rank, rt.rank AS to_rank FROM found f
  JOIN ranks rf ON rf.status = f.from_status JOIN ranks rt ON rt.status = f.to_status
  WHERE f.from_status <> 'failed'
    AND ((f.to_status = 'failed' AND f.from_status IN ('queued', 'sent')) OR (f.to_status <> 'failed' AND rt.rank > rf.rank))
), moved AS (
  UPDATE messages m SET status = a.to_status, updated_at = now(),
    -- A message read was delivered and sent: a milestone passed without its own status (merged in one batch, or a
    -- status the upstream never posted) is stamped when it is passed, an earlier stamp kept.
    sent_at = CASE WHEN a.to_status <> 'failed' AND a.to_rank >= 1 THEN COALESCE(m.sent_at, now()) ELSE m.sent_at END,
    delivered_at = CASE WHEN a.to_status <> 'failed' AND a.to_rank >= 2 THEN COALESCE(m.delivered_at, now()) ELSE m.delivered_at END,
    read_at = CASE WHEN a.to_status = 'read' THEN now() ELSE m.read_at END,
    failed_at = CASE WHEN a.to_status = 'failed' THEN now() ELSE m.failed_at END
  FROM allowed a WHERE m.id = a.id
  RETURNING m.client_id, m.instance_id, m.message_type, m.created_at, a.from_status, a.from_rank, a.to_status, a.to_rank
), counted AS (
  INSERT INTO message_counts (client_id, instance_id, status, count)
  SELECT client_id, instance_id, status, sum(delta) FROM (
    SELECT client_id, instance_id, from_status AS status, -1 AS delta FROM moved
    UNION ALL SELECT client_id, instance_id, to_status, 1 FROM moved
  ) d GROUP BY client_id, instance_id, status ORDER BY client_id, instance_id, status
  ON CONFLICT (client_id, instance_id, status) DO UPDATE SET count = message_counts.count + EXCLUDED.count
  RETURNING 1
), increments AS (
  SELECT client_id, instance_id, created_at::date AS day, message_type,
    (NOT (from_status <> 'failed' AND from_rank >= 1) AND to_status <> 'failed' AND to_rank >= 1)::int AS sent,
    (NOT (from_status <> 'failed' AND from_rank >= 2) AND to_status <> 'failed' AND to_rank >= 2)::int AS delivered,
    (NOT (from_status <> 'failed' AND from_rank >= 3) AND to_status <> 'failed' AND to_rank >= 3)::int AS read,
    (to_status = 'failed')::int AS failed
  FROM moved
), used AS (
  INSERT INTO usage_daily (client_id, instance_id, day, message_type, attempts, sent, delivered, read, failed)
  SELECT client_id, instance_id, day, message_type, 0, sum(sent), sum(delivered), sum(read), sum(failed)
  FROM increments CROSS JOIN (SELECT count(*) FROM counted) AS after_counts
  GROUP BY client_id, day, instance_id, message_type ORDER BY client_id, day, instance_id, message_type
  ON CONFLICT (client_id, day, instance_id, message_type) DO UPDATE SET
    sent = usage_daily.sent + EXCLUDED.sent, delivered = usage_daily.delivered + EXCLUDED.delivered,
    read = usage_daily.read + EXCLUDED.read, failed = usage_daily.failed + EXCLUDED.failed
)
SELECT input.position, CASE WHEN a.id IS NOT NULL THEN 'applied' WHEN f.id IS NOT NULL THEN 'ignored' ELSE 'unknown' END AS outcome
FROM input LEFT JOIN found f ON f.position = input.position LEFT JOIN allowed a ON a.position = input.position`;

/**
 * The logged message with both rollups, for a bulk recipient ($14) the recipient's link to it, and for a scheduled
 * message ($16 to $18) its due time, expiry and payload. `counted` is read
 * by `used` so its row lock comes first, the order status changes take too: Postgres does not otherwise order sibling
 * CTEs, and the opposite order deadlocks with a concurrent status change. Days are UTC, as `created_at` is.
 */
const CREATE_MESSAGE_SQL = `
WITH m AS (
  INSERT INTO messages (client_id, instance_id, bulk_id, source, number, message_type, status, error, created_at, updated_at, failed_at)
  VALUES ($1, $2::uuid, $3::uuid, $4::"MessageSource", $5, $6, $7::"MessageStatus", $8, $9::timestamp, $9::timestamp,
    CASE WHEN $7::"MessageStatus" = 'failed' THEN $9::timestamp END)
  RETURNING *
), counted AS (
  INSERT INTO message_counts (client_id, instance_id, status, count) SELECT client_id, instance_id, status, 1 FROM m
  ON CONFLICT (client_id, instance_id, status) DO UPDATE SET count = message_counts.count + 1
  RETURNING 1
), used AS (
  INSERT INTO usage_daily (client_id, instance_id, day, message_type, attempts, sent, delivered, read, failed)
  SELECT client_id, instance_id, created_at::date, message_type, $15::int, $10::int, $11::int, $12::int, $13::int FROM m CROSS JOIN counted
  WHERE $15::int + $10::int + $13::int > 0
  ${ON_USAGE_CONFLICT_SQL}
), scheduled AS (
  INSERT INTO scheduled_sends (message_id, client_id, send_at, expires_at, payload)
  SELECT id, client_id, $16::timestamp, $17::timestamp, $18::jsonb FROM m WHERE $16::timestamp IS NOT NULL
), linked AS (
  UPDATE bulk_recipients SET message_id = m.id FROM m WHERE bulk_recipients.id = $14::bigint AND bulk_recipients.client_id = $1
)
SELECT * FROM m`;
