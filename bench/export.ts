/**
 * What exporting the message log costs: `GET /api/v1/whatsapp/messages/export` (CSV, then NDJSON) of one tenant's
 * whole log, read as fast as the client can take it, from one `APP_ROLE=all` process of the build (`node
 * dist/main.js`, built first by `npm run build`). Reports rows/s, bytes, and the gateway's RSS: idle before the
 * exports, and the largest seen (sampled every 100 ms) during each.
 *
 * Usage: npx ts-node -r tsconfig-paths/register bench/export.ts [--rows 200000]
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { Client } from 'pg';
import { createTestDatabase, ensureTemplate } from '../test/setup/test-database';
import { deleteRedisPrefix } from '../test/setup/test-env';
import { Cleanup, ROOT, runMain } from './lib/processes';
import { createTenant, startGateway, startSimulator } from './lib/stack';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

function rssMb(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
}

/** Downloads the export, counting bytes and lines and keeping nothing, while sampling the gateway's RSS. */
function download(
  url: string,
  headers: Record<string, string>,
  gatewayPid: number,
): Promise<{ status: number; bytes: number; lines: number; seconds: number; peakRssMb: number }> {
  return new Promise((resolve, reject) => {
    let peakRssMb = rssMb(gatewayPid);
    const sampler = setInterval(() => (peakRssMb = Math.max(peakRssMb, rssMb(gatewayPid))), 100);
    const started = performance.now();
    const req = http.get(url, { headers }, (res) => {
      let bytes = 0;
      let lines = 0;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) lines += 1;
      });
      res.on('end', () => {
        clearInterval(sampler);
        peakRssMb = Math.max(peakRssMb, rssMb(gatewayPid));
        resolve({
          status: res.statusCode ?? 0,
          bytes,
          lines,
          seconds: (performance.now() - started) / 1000,
          peakRssMb,
        });
      });
      res.on('error', reject);
    });
    req.on('error', (err) => {
      clearInterval(sampler);
      reject(err);
    });
  });
}

async function main(): Promise<void> {
  const rows = option('rows', 200_000);
  const cleanup = new Cleanup();
  cleanup.installSignalHandlers();
  try {
    await ensureTemplate();
    const db = await createTestDatabase();
    cleanup.add('drop the benchmark database', db.drop);
    const prefix = `bench-export-${process.pid}`;
    cleanup.add('delete the benchmark Redis keys', () => deleteRedisPrefix(prefix));
    const sim = await startSimulator(cleanup);
    log('building the gateway (npm run build)');
    execFileSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: 'inherit' });
    const gateway = await startGateway(cleanup, {
      simUrl: sim.url,
      databaseUrl: db.url,
      redisPrefix: prefix,
      built: true,
    });
    const tenant = await createTenant(gateway.url, sim, db.url, 1);
    const instanceId = tenant.instances[0]!.id;

    const pg = new Client({ connectionString: db.url });
    await pg.connect();
    cleanup.add('close the database connection', () => pg.end());
    log(`loading ${rows} log rows`);
    // Rows as sends leave them: most read, some failed with an error text, every tenth from a bulk-like source.
    await pg.query(
      `INSERT INTO messages (client_id, instance_id, source, number, message_type, status, upstream_message_id, error,
         created_at, updated_at, sent_at, delivered_at, read_at, failed_at)
       SELECT $1, $2::uuid, CASE WHEN g % 10 = 0 THEN 'passthrough' ELSE 'api' END::"MessageSource",
         (254712000000 + g % 1000000)::text, 'text',
         CASE WHEN g % 20 = 0 THEN 'failed' ELSE 'read' END::"MessageStatus",
         '3EB0' || upper(md5(g::text)),
         CASE WHEN g % 20 = 0 THEN 'number: ' || (254712000000 + g)::text || ' is not on WhatsApp' END,
         t, t, t, t + interval '2 seconds', t + interval '9 seconds', CASE WHEN g % 20 = 0 THEN t END
       FROM generate_series(1, $3) g, LATERAL (SELECT now() - (($3 - g) * interval '1 second') AS t) ts`,
      [tenant.client.id, instanceId, rows],
    );
    await pg.query('VACUUM ANALYZE messages');

    // Settle the idle figure: JIT, pools and the first page's plan, with a small export first.
    await download(
      `${gateway.url}/api/v1/whatsapp/messages/export?format=ndjson&status=failed`,
      tenant.headers,
      gateway.child.pid,
    );
    const idleRssMb = rssMb(gateway.child.pid);
    log(`gateway RSS idle: ${idleRssMb.toFixed(0)} MB`);
    for (const format of ['csv', 'ndjson']) {
      const result = await download(
        `${gateway.url}/api/v1/whatsapp/messages/export?format=${format}`,
        tenant.headers,
        gateway.child.pid,
      );
      const exported = result.lines - (format === 'csv' ? 1 : 0);
      if (result.status !== 200 || exported !== rows)
        throw new Error(`${format}: status ${result.status}, ${exported} rows exported of ${rows}`);
      log(
        `${format}: ${rows} rows, ${(result.bytes / 1e6).toFixed(1)} MB in ${result.seconds.toFixed(1)} s: ` +
          `${Math.round(rows / result.seconds)} rows/s, ${(result.bytes / 1e6 / result.seconds).toFixed(1)} MB/s, ` +
          `peak gateway RSS ${result.peakRssMb.toFixed(0)} MB (idle ${idleRssMb.toFixed(0)} MB)`,
      );
    }
  } finally {
    await cleanup.run();
  }
}

runMain(main);
