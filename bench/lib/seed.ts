import { Client } from 'pg';

export interface SeedTenant {
  clientId: number;
  instanceIds: string[];
  rows: number;
}

/**
 * Loads the message log of two tenants with one INSERT … SELECT generate_series, their rows interleaved by id and
 * spread over the 30 days `/stats` charts (today and the 29 before) as if both had been sending side by side (one small-tenant row every
 * `large/small + 1` rows), then derives `message_counts` and `usage_daily` from the inserted rows exactly as
 * MessageRepository would have moved them (one attempt per message; sent/delivered/read counted once a message
 * reached them; failed for failed ones), so every number the API answers is consistent with the log.
 *
 * Statuses: 5% failed, 5% queued, 15% sent, 25% delivered, 50% read. Types: 70% text, 10% each image, document,
 * audio. Finally VACUUM ANALYZE (the state autovacuum reaches on its own some minutes after such a load) and a
 * CHECKPOINT, so neither lands in the middle of a measurement.
 */
export async function seedMessages(
  databaseUrl: string,
  small: SeedTenant,
  large: SeedTenant,
  log: (s: string) => void,
): Promise<{ seconds: number }> {
  if (large.rows % small.rows !== 0) throw new Error('large.rows must be a multiple of small.rows');
  const every = large.rows / small.rows + 1;
  const total = small.rows + large.rows;
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  const started = performance.now();
  try {
    await db.query('SET synchronous_commit = off');
    await db.query("SET maintenance_work_mem = '256MB'");
    log(`  inserting ${total.toLocaleString('en-US')} message rows…`);
    await db.query(
      `
      WITH g AS (
        SELECT i,
               (i % $1::int = 0) AS is_small,
               CASE WHEN i % $1::int = 0 THEN i / $1::int ELSE i END AS k,
               d.start + (i::double precision / $2::int) * (d.stop - d.start) AS at,
               CASE WHEN i % 20 = 0 THEN 'failed' WHEN i % 20 = 1 THEN 'queued' WHEN i % 20 < 5 THEN 'sent'
                    WHEN i % 20 < 10 THEN 'delivered' ELSE 'read' END AS st,
               CASE WHEN i % 10 < 7 THEN 'text' WHEN i % 10 = 7 THEN 'image' WHEN i % 10 = 8 THEN 'document' ELSE 'audio' END AS mt
        FROM generate_series(1, $2::int) AS i,
             (SELECT date_trunc('day', now() AT TIME ZONE 'UTC') - interval '29 days' AS start,
                     (now() AT TIME ZONE 'UTC') - interval '1 minute' AS stop) AS d
      )
      INSERT INTO messages (client_id, instance_id, source, number, message_type, status, upstream_message_id, error,
                            created_at, updated_at, sent_at, delivered_at, read_at, failed_at)
      SELECT CASE WHEN is_small THEN $3::int ELSE $4::int END,
             CASE WHEN is_small THEN ($5::uuid[])[1 + k % cardinality($5::uuid[])] ELSE ($6::uuid[])[1 + k % cardinality($6::uuid[])] END,
             'api',
             '2547' || lpad((k % 100000000)::text, 8, '0'),
             mt,
             st::"MessageStatus",
             CASE WHEN st = 'queued' THEN NULL ELSE '3EB0' || lpad(upper(to_hex(i)), 16, '0') END,
             CASE WHEN st = 'failed' THEN 'number: not on WhatsApp' ELSE NULL END,
             at,
             at + interval '3 seconds',
             CASE WHEN st IN ('sent', 'delivered', 'read') THEN at + interval '1 second' END,
             CASE WHEN st IN ('delivered', 'read') THEN at + interval '2 seconds' END,
             CASE WHEN st = 'read' THEN at + interval '3 seconds' END,
             CASE WHEN st = 'failed' THEN at + interval '1 second' END
      FROM g ORDER BY i`,
      [every, total, small.clientId, large.clientId, small.instanceIds, large.instanceIds],
    );
    const ids = [small.clientId, large.clientId];
    log('  deriving message_counts and usage_daily from the rows…');
    await db.query(
      `INSERT INTO message_counts (client_id, instance_id, status, count)
       SELECT client_id, instance_id, status, count(*) FROM messages WHERE client_id = ANY($1::int[]) GROUP BY 1, 2, 3
       ON CONFLICT (client_id, instance_id, status) DO UPDATE SET count = message_counts.count + EXCLUDED.count`,
      [ids],
    );
    await db.query(
      `INSERT INTO usage_daily (client_id, instance_id, day, message_type, attempts, sent, delivered, read, failed)
       SELECT client_id, instance_id, created_at::date, message_type, count(*),
              count(*) FILTER (WHERE status IN ('sent', 'delivered', 'read')),
              count(*) FILTER (WHERE status IN ('delivered', 'read')),
              count(*) FILTER (WHERE status = 'read'),
              count(*) FILTER (WHERE status = 'failed')
       FROM messages WHERE client_id = ANY($1::int[]) GROUP BY 1, 2, 3, 4
       ON CONFLICT (client_id, day, instance_id, message_type) DO UPDATE SET
         attempts = usage_daily.attempts + EXCLUDED.attempts, sent = usage_daily.sent + EXCLUDED.sent,
         delivered = usage_daily.delivered + EXCLUDED.delivered, read = usage_daily.read + EXCLUDED.read,
         failed = usage_daily.failed + EXCLUDED.failed`,
      [ids],
    );
    log('  VACUUM ANALYZE and CHECKPOINT…');
    for (const table of ['messages', 'message_counts', 'usage_daily']) await db.query(`VACUUM (ANALYZE) ${table}`);
    await db.query('CHECKPOINT');

    const counts = await db.query<{ client_id: number; n: string }>(
      'SELECT client_id, count(*)::text AS n FROM messages WHERE client_id = ANY($1::int[]) GROUP BY 1',
      [ids],
    );
    for (const t of [small, large]) {
      const got = Number(counts.rows.find((r) => r.client_id === t.clientId)?.n ?? 0);
      if (got !== t.rows) throw new Error(`seeding gave client ${t.clientId} ${got} rows instead of ${t.rows}`);
    }
    return { seconds: (performance.now() - started) / 1000 };
  } finally {
    await db.end();
  }
}

/** The `next_cursor` after `pages` pages of `limit` rows, computed in SQL (base64url of `m:<id of the last row>`). */
export async function cursorAfterPages(
  databaseUrl: string,
  clientId: number,
  pages: number,
  limit: number,
): Promise<string> {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    // Aliased: ORDER BY id would otherwise sort by the text output column.
    const res = await db.query<{ last_id: string }>(
      'SELECT id::text AS last_id FROM messages WHERE client_id = $1 ORDER BY messages.id DESC OFFSET $2 LIMIT 1',
      [clientId, pages * limit - 1],
    );
    if (!res.rows[0]) throw new Error(`client ${clientId} has fewer than ${pages * limit} messages`);
    return Buffer.from(`m:${res.rows[0].last_id}`).toString('base64url');
  } finally {
    await db.end();
  }
}

/** EXPLAIN (ANALYZE) of the messages side of the log's page query, to show which index a plan uses. */
export async function explainPage(
  databaseUrl: string,
  clientId: number,
  limit: number,
  beforeId?: string,
): Promise<string> {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const params: unknown[] = [clientId, limit];
    const cursor = beforeId === undefined ? '' : (params.push(beforeId), ' AND id < $3');
    const res = await db.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT * FROM messages WHERE client_id = $1${cursor} ORDER BY id DESC LIMIT $2 OFFSET 0`,
      params,
    );
    return res.rows.map((r) => r['QUERY PLAN']).join('\n');
  } finally {
    await db.end();
  }
}
