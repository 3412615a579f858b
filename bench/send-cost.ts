/**
 * What a send costs, measured as users run the gateway: one `APP_ROLE=all` process of the build (`node dist/main.js`,
 * built first by `npm run build`) in front of an upstream that
 * behaves like Evolution API (after every send it posts `send.message`, then `messages.update` SERVER_ACK,
 * DELIVERY_ACK and READ), with a bare Node `http` proxy of the same route to the same upstream as the floor.
 *
 *   1. steady rate, status webhooks on: CPU ms per send of the gateway, Postgres, Redis and the simulator, read from
 *      /proc over the window from the first send until every message of the run reads `read`;
 *   2. the same with status webhooks off (the upstream still posts `send.message`), until every send is answered;
 *   3. closed-loop `/send` throughput, gateway vs bare proxy, status webhooks off;
 *   4. end to end with status webhooks on: sends/s from the first send until every message reads `read`;
 *   5. the largest RSS of the gateway process seen during all of it.
 *
 * Usage: npm run bench:send [-- --rate 30 --seconds 20 --connections 32 --load-seconds 10 --json out.json --profile]
 * `--profile` runs the gateway under `--cpu-prof` and prints where its CPU went during the steady runs;
 * `--keep-profile <file>` also keeps the `.cpuprofile` (for Chrome DevTools or speedscope).
 */
import axios from 'axios';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { createTestDatabase, ensureTemplate } from '../test/setup/test-database';
import { deleteRedisPrefix } from '../test/setup/test-env';
import { CpuMeter, CpuSnapshot } from './lib/cpu';
import { summarizeProfile } from './lib/cpu-profile';
import { runMax, stopAllLoad, Target } from './lib/load';
import { Cleanup, ROOT, runMain, waitUntil } from './lib/processes';
import { createBareInstance, createTenant, startBareProxy, startGateway, startSimulator } from './lib/stack';

const ACKS = ['SERVER_ACK', 'DELIVERY_ACK', 'READ'];

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** CPU seconds of each process group between two snapshots. */
function cpuSeconds(a: CpuSnapshot, b: CpuSnapshot): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [group, after] of Object.entries(b.groups)) {
    const before = a.groups[group] ?? new Map<number, number>();
    let sum = 0;
    for (const [pid, s] of after) sum += s - (before.get(pid) ?? 0);
    out[group] = sum;
  }
  return out;
}

function rssMb(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

async function main(): Promise<void> {
  const rate = option('rate', 30);
  const seconds = option('seconds', 20);
  const connections = option('connections', 32);
  const loadSeconds = option('load-seconds', 10);
  const jsonIndex = process.argv.indexOf('--json');
  const cleanup = new Cleanup();
  cleanup.installSignalHandlers();
  cleanup.add('stop the load generator', stopAllLoad);
  try {
    await ensureTemplate();
    const db = await createTestDatabase();
    cleanup.add('drop the benchmark database', db.drop);
    const prefix = `bench-send-${process.pid}`;
    cleanup.add('delete the benchmark Redis keys', () => deleteRedisPrefix(prefix));
    const sim = await startSimulator(cleanup, { statusWebhooks: true });
    const profileDir = process.argv.includes('--profile')
      ? mkdtempSync(path.join(tmpdir(), 'nm-send-prof-'))
      : undefined;
    if (profileDir) cleanup.add('remove the CPU profile', () => rmSync(profileDir, { recursive: true, force: true }));
    const nodeArgs = profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [];
    // The gateway as operators run it: the build, `node dist/main.js` (npm run start:prod).
    log('building the gateway (npm run build)');
    execFileSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: 'inherit' });
    const gateway = await startGateway(cleanup, {
      simUrl: sim.url,
      databaseUrl: db.url,
      redisPrefix: prefix,
      nodeArgs,
      built: true,
    });
    const tenant = await createTenant(gateway.url, sim, db.url, 1);
    const instance = tenant.instances[0]!.name;
    const bareInstance = await createBareInstance(sim);
    const bare = await startBareProxy(
      cleanup,
      sim.url,
      { [bareInstance.name]: bareInstance.token },
      'bench/bare-http-proxy.ts',
    );
    const meter = new CpuMeter(() => ({
      gateway: [gateway.child.pid],
      'bare proxy': [bare.child.pid],
      simulator: [sim.child.pid],
    }));
    const pg = new Client({ connectionString: db.url });
    await pg.connect();
    cleanup.add('close the database connection', () => pg.end());
    let maxRss = 0;
    const rssTimer = setInterval(() => (maxRss = Math.max(maxRss, rssMb(gateway.child.pid))), 200);
    cleanup.add('stop the RSS sampler', () => clearInterval(rssTimer));
    const setAcks = async (statuses: string[]) => {
      if ((await sim.control.post('/acks', { statuses })).status !== 200)
        throw new Error('could not set the simulator acks');
    };
    const lastId = async () =>
      BigInt((await pg.query<{ id: string | null }>('SELECT max(id)::text AS id FROM messages')).rows[0]!.id ?? '0');
    const counts = async (after: bigint) =>
      (
        await pg.query<{ total: string; accepted: string; read: string }>(
          `SELECT count(*)::text AS total, count(upstream_message_id)::text AS accepted, count(*) FILTER (WHERE status = 'read')::text AS read
           FROM messages WHERE id > $1`,
          [after.toString()],
        )
      ).rows[0]!;
    const body = { instanceName: instance, number: '254712345678', text: 'benchmark' };
    const gatewayTarget: Target = {
      name: 'gateway',
      baseUrl: gateway.url,
      method: 'POST',
      path: '/api/v1/whatsapp/send',
      headers: tenant.headers,
      body,
      expectStatus: 201,
    };
    const bareTarget: Target = {
      ...gatewayTarget,
      name: 'bare proxy',
      baseUrl: bare.url,
      headers: {},
      body: { ...body, instanceName: bareInstance.name },
    };

    /** Sends at a steady rate, then waits until every send of the run reached `until`; CPU over the whole window. */
    const steady = async (label: string, until: 'read' | 'accepted') => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
      const client = axios.create({
        baseURL: gateway.url,
        httpAgent: agent,
        headers: tenant.headers,
        validateStatus: () => true,
        timeout: 60000,
      });
      const from = await lastId();
      const total = rate * seconds;
      const before = meter.snapshot();
      const started = performance.now();
      const answers: Promise<number>[] = [];
      for (let i = 0; i < total; i++) {
        const due = started + (i * 1000) / rate;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        answers.push(client.post('/api/v1/whatsapp/send', body).then((res) => res.status));
      }
      const statuses = await Promise.all(answers);
      const failed = statuses.filter((s) => s !== 201).length;
      await waitUntil(
        `${label}: every send to be ${until}`,
        120000,
        async () => Number((await counts(from))[until]) >= total - failed,
      );
      const after = meter.snapshot();
      agent.destroy();
      const cpu = cpuSeconds(before, after);
      const perSend = (group: string) => ((cpu[group] ?? 0) * 1000) / total;
      const result = {
        label,
        sends: total,
        failed,
        wallS: (after.at - before.at) / 1000,
        gatewayMs: perSend('gateway'),
        postgresMs: perSend('postgres'),
        redisMs: perSend('redis'),
        simulatorMs: perSend('simulator'),
      };
      log(`${label}: ${JSON.stringify(result)}`);
      return result;
    };

    // Warm-up: JIT, pools and caches, with status webhooks on.
    await runMax(gatewayTarget, 8, 5, meter, 2);
    await waitUntil('the warm-up to settle', 60000, async () => {
      const c = await counts(0n);
      return Number(c.read) >= Number(c.accepted);
    });

    // What the gateway spends with nothing to do (BullMQ workers, timers), which every per-send figure below includes.
    await new Promise((r) => setTimeout(r, 2000));
    const idleBefore = meter.snapshot();
    await new Promise((r) => setTimeout(r, 10000));
    const idleCpu = cpuSeconds(idleBefore, meter.snapshot());
    const idle = {
      gatewayMsPerS: (idleCpu.gateway ?? 0) * 100,
      postgresMsPerS: (idleCpu.postgres ?? 0) * 100,
      redisMsPerS: (idleCpu.redis ?? 0) * 100,
      // After a warm-up: the process's own size, before the runs' load grows its heaps.
      gatewayRssMb: rssMb(gateway.child.pid),
    };
    log(`idle: ${JSON.stringify(idle)}`);

    const steadyStart = performance.now();
    const steadyAcks = await steady(`steady ${rate}/s, status webhooks on`, 'read');
    const steadyEnd = performance.now();
    await setAcks([]);
    const noAcksStart = performance.now();
    const steadyNoAcks = await steady(`steady ${rate}/s, status webhooks off`, 'accepted');
    const noAcksEnd = performance.now();

    const throughput: Record<string, number> = {};
    for (const target of [bareTarget, gatewayTarget, gatewayTarget, bareTarget]) {
      const run = await runMax(target, connections, loadSeconds, meter, 2);
      throughput[target.name] = (throughput[target.name] ?? 0) + run.rps / 2;
      log(
        `closed loop ${target.name}: ${run.rps.toFixed(0)} req/s, p50 ${run.latency.p50.toFixed(2)} ms, p99 ${run.latency.p99.toFixed(2)} ms, failed ${run.failed}`,
      );
    }

    await setAcks(ACKS);
    const from = await lastId();
    const before = meter.snapshot();
    const run = await runMax(gatewayTarget, connections, loadSeconds, meter, 2);
    await waitUntil(
      'every message of the end-to-end run to read `read`',
      300000,
      async () => Number((await counts(from)).read) >= run.ok,
    );
    const after = meter.snapshot();
    const e2eSeconds = (after.at - before.at) / 1000;
    const endToEnd = {
      sends: run.ok,
      failed: run.failed,
      seconds: e2eSeconds,
      sendsPerSecond: run.ok / e2eSeconds,
      cpu: cpuSeconds(before, after),
    };
    log(`end to end: ${JSON.stringify(endToEnd)}`);

    const results = {
      date: new Date().toISOString(),
      options: { rate, seconds, connections, loadSeconds },
      idle,
      steadyAcks,
      steadyNoAcks,
      throughput: { ...throughput, ratio: throughput.gateway! / throughput['bare proxy']! },
      endToEnd,
      gatewayMaxRssMb: maxRss,
    };
    log(`\n${JSON.stringify(results, null, 2)}`);
    if (jsonIndex > 0) writeFileSync(process.argv[jsonIndex + 1]!, JSON.stringify(results, null, 2));
    if (profileDir) {
      await gateway.child.stop();
      const exitAt = performance.now();
      const file = path.join(
        profileDir,
        readdirSync(profileDir).find((f) => f.endsWith('.cpuprofile'))!,
      );
      const keepIndex = process.argv.indexOf('--keep-profile');
      if (keepIndex > 0) copyFileSync(file, process.argv[keepIndex + 1]!);
      const windows = [
        { label: 'with status webhooks', from: steadyStart, to: steadyEnd },
        { label: 'without status webhooks', from: noAcksStart, to: noAcksEnd },
      ];
      for (const w of windows) {
        const summary = summarizeProfile(file, ROOT, { fromEndMs: exitAt - w.from, toEndMs: exitAt - w.to });
        log(`\nGateway CPU profile of the steady run ${w.label} (${summary.busyMs.toFixed(0)} ms busy):`);
        for (const e of summary.inclusive.slice(0, 25))
          log(`  on stack ${e.pct.toFixed(1).padStart(5)}%  ${e.component}`);
        for (const e of summary.self.slice(0, 12)) log(`  self     ${e.pct.toFixed(1).padStart(5)}%  ${e.component}`);
        for (const f of summary.functions.slice(0, 15))
          log(`  fn       ${f.pct.toFixed(1).padStart(5)}%  ${f.fn} (${f.component})`);
      }
    }
  } finally {
    await cleanup.run();
  }
}

runMain(main);
