/**
 * Accepting one large bulk: POST /send-bulk with 10,000 recipients, each with a variable, and a message template of
 * 20 characters or of 64 KiB. For each: the request's latency, how long the gateway's event loop stalls meanwhile
 * (the slowest /health answer while the request runs, probed every 20 ms), and the gateway's peak RSS (VmHWM).
 * Each bulk is cancelled as soon as it is accepted.
 *
 * Run: npm run build && npx ts-node -r tsconfig-paths/register bench/bulk-accept.ts
 */
import axios from 'axios';
import { readFileSync } from 'node:fs';
import { createTestDatabase, ensureTemplate } from '../test/setup/test-database';
import { deleteRedisPrefix } from '../test/setup/test-env';
import { Cleanup, runMain } from './lib/processes';
import { createTenant, startGateway, startSimulator } from './lib/stack';

const RECIPIENTS = 10_000;
const RUNS = 3;
const log = (s: string) => process.stdout.write(`${s}\n`);

function peakRssMiB(pid: number): number {
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(hwm?.[1] ?? 0) / 1024;
}

async function main(): Promise<void> {
  const cleanup = new Cleanup();
  cleanup.installSignalHandlers();
  try {
    await ensureTemplate();
    const database = await createTestDatabase();
    cleanup.add('drop the benchmark database', database.drop);
    const prefix = `benchaccept${process.pid}`;
    cleanup.add('delete the benchmark Redis keys', () => deleteRedisPrefix(prefix));
    const sim = await startSimulator(cleanup);
    const gateway = await startGateway(cleanup, {
      simUrl: sim.url,
      databaseUrl: database.url,
      redisPrefix: prefix,
      built: true,
    });
    const tenant = await createTenant(gateway.url, sim, database.url, 1);
    const api = axios.create({
      baseURL: gateway.url,
      validateStatus: () => true,
      timeout: 120000,
      maxBodyLength: Infinity,
      headers: tenant.headers,
    });
    const pid = gateway.child.pid;

    for (const [label, template] of [
      ['20-character template', 'Hello {{name}}, hi!'],
      ['64 KiB template', `Hello {{name}}, ${'x'.repeat(64 * 1024 - 20)}`],
    ] as const) {
      const recipients = Array.from({ length: RECIPIENTS }, (_, i) => ({
        number: `2547${String(10_000_000 + i).padStart(8, '0')}`,
        variables: { name: `n${i}` },
      }));
      const body = { instanceName: tenant.instances[0]!.name, recipients, message: template };
      log(
        `\n${label}: ${RECIPIENTS.toLocaleString('en-US')} recipients, body ${(JSON.stringify(body).length / 1024 / 1024).toFixed(1)} MiB`,
      );
      for (let run = 1; run <= RUNS; run++) {
        let probing = true;
        let slowestHealthMs = 0;
        const probes = (async () => {
          while (probing) {
            const started = performance.now();
            await axios.get(`${gateway.url}/health`, { validateStatus: () => true });
            slowestHealthMs = Math.max(slowestHealthMs, performance.now() - started);
            await new Promise((resolve) => setTimeout(resolve, 20));
          }
        })();
        const started = performance.now();
        const res = await api.post('/api/v1/whatsapp/send-bulk', body);
        const latencyMs = performance.now() - started;
        probing = false;
        await probes;
        if (res.status !== 202)
          throw new Error(`send-bulk answered ${res.status}: ${JSON.stringify(res.data).slice(0, 300)}`);
        await api.post(`/api/v1/whatsapp/send-bulk/${res.data.bulk_id}/cancel`);
        log(
          `  run ${run}: ${latencyMs.toFixed(0)} ms, slowest /health meanwhile ${slowestHealthMs.toFixed(0)} ms, gateway peak RSS ${peakRssMiB(pid).toFixed(0)} MiB`,
        );
      }
    }
  } finally {
    await cleanup.run();
  }
}

runMain(main);
