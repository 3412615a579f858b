/**
 * Bulk sends (issue 6), end to end on this machine:
 *
 *  1. Accepting a 10,000-recipient bulk: latency of POST /send-bulk (202), sequential, each bulk cancelled at once.
 *  2. Pacing on (1 s interval, jitter 0-500 ms): gaps between consecutive sends of one instance at the simulator, and
 *     how late each send arrived against the slot the pacer scheduled (read from the pacer's Redis key).
 *  3. Pacing off: sends per second across 200 instances, one bulk each, over a bounded window, with the CPU split.
 *
 * Run: npx ts-node -r tsconfig-paths/register bench/bulk.ts
 * Prints the figures and saves them as JSON (path printed at the end). Every process, database and Redis key it
 * creates is removed at the end, on failure and on Ctrl-C.
 */
import axios, { AxiosInstance } from 'axios';
import Redis from 'ioredis';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { adminToken, createClient, TestClient } from '../test/factories/client.factory';
import { createInstance, resellerToken, TestInstance } from '../test/factories/instance.factory';
import { createTestDatabase, ensureTemplate } from '../test/setup/test-database';
import { deleteRedisPrefix, redisUrl } from '../test/setup/test-env';
import { CpuMeter } from './lib/cpu';
import { describeMachine } from './lib/machine';
import { Cleanup, runMain, waitUntil } from './lib/processes';
import { scan, Simulator, startGateway, startSimulator } from './lib/stack';

const BULK = '/api/v1/whatsapp/send-bulk';
const ACCEPT_RUNS = 10;
const ACCEPT_RECIPIENTS = 10_000;
const PACED_INSTANCES = 4;
const PACED_RECIPIENTS = 6;
const PACED = { send_interval_ms: 1000, jitter_min_ms: 0, jitter_max_ms: 500 };
const FAST_INSTANCES = Number(process.env.BULK_BENCH_INSTANCES ?? 200);
const FAST_RECIPIENTS = 50;
const WINDOW_S = 15;

const log = (s: string) => process.stdout.write(`${s}\n`);
const fmt = (n: number | undefined, d = 1) => (n !== undefined && Number.isFinite(n) ? n.toFixed(d) : '—');

function pct(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}
function dist(values: number[]) {
  return {
    n: values.length,
    min: Math.min(...values),
    p50: pct(values, 50),
    p90: pct(values, 90),
    p99: pct(values, 99),
    max: Math.max(...values),
  };
}

async function pool<T, R>(items: T[], width: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!, i);
      }
    }),
  );
  return out;
}

function numbers(n: number, base: number): string[] {
  return Array.from({ length: n }, (_, i) => `2547${String(base + i).padStart(8, '0')}`);
}

interface Tenant {
  client: TestClient;
  instances: TestInstance[];
  key: { headers: Record<string, string> };
}

async function tenant(
  api: AxiosInstance,
  admin: string,
  sim: Simulator,
  dbUrl: string,
  settings: Record<string, unknown>,
  count: number,
): Promise<Tenant> {
  const client = await createClient(api, admin, {
    rate_limit: 100000,
    daily_cap: 100000,
    max_instances: 250,
    ...settings,
  });
  const db = new Client({ connectionString: dbUrl });
  await db.connect();
  try {
    // The admin API caps these at 100 000; lift them so limits stay out of the way (as bench/lib/stack.ts does).
    await db.query('UPDATE clients SET rate_limit = 1000000, daily_cap = 100000000 WHERE id = $1', [client.id]);
  } finally {
    await db.end();
  }
  const jwt = await resellerToken(api, client);
  const instances = await pool(Array.from({ length: count }), 10, async () => {
    const instance = await createInstance(api, jwt);
    await scan(sim, instance.name);
    return instance;
  });
  await waitUntil('the instances to be open in the gateway', 60000, async () => {
    const c = new Client({ connectionString: dbUrl });
    await c.connect();
    try {
      const res = await c.query<{ n: string }>(
        "SELECT count(*)::text AS n FROM instances WHERE client_id = $1 AND status = 'open'",
        [client.id],
      );
      return Number(res.rows[0]!.n) === count;
    } finally {
      await c.end();
    }
  });
  return { client, instances, key: { headers: { apikey: client.apiKey } } };
}

interface SimRequest {
  method: string;
  path: string;
  at: string;
  body: { number?: string };
}

async function main(): Promise<void> {
  const cleanup = new Cleanup();
  cleanup.installSignalHandlers();
  const started = performance.now();
  const results: Record<string, unknown> = {};
  try {
    const machine = await describeMachine(
      process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres',
      redisUrl(),
    );
    results.machine = machine;
    const cores = machine.nproc;
    log(
      `Bulk benchmark on ${cores} cores (${machine.cpuModel}), ${machine.memoryGiB} GiB, Node ${machine.node}, Postgres ${machine.postgres}, Redis ${machine.redis}, commit ${machine.commit}`,
    );

    await ensureTemplate();
    const database = await createTestDatabase();
    cleanup.add('drop the benchmark database', database.drop);
    const prefix = `benchbulk${process.pid}`;
    cleanup.add('delete the benchmark Redis keys', () => deleteRedisPrefix(prefix));
    const sim = await startSimulator(cleanup); // status webhooks off (acks: [])
    const gateway = await startGateway(cleanup, { simUrl: sim.url, databaseUrl: database.url, redisPrefix: prefix });
    log(
      `simulator ${sim.url} (pid ${sim.child.pid}), gateway ${gateway.url} (pid ${gateway.child.pid}), BULK_CONCURRENCY default (500)`,
    );
    const meter = new CpuMeter(() => ({ gateway: [gateway.child.pid], simulator: [sim.child.pid] }));

    const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
    cleanup.add('close the HTTP agent', () => agent.destroy());
    const api = axios.create({
      baseURL: gateway.url,
      httpAgent: agent,
      validateStatus: () => true,
      timeout: 60000,
      maxBodyLength: Infinity,
    });
    const admin = await adminToken(api);

    // ---- 1. accepting 10,000 recipients ----
    log(
      `\n[1/3] POST /send-bulk with ${ACCEPT_RECIPIENTS.toLocaleString('en-US')} recipients, ${ACCEPT_RUNS} sequential requests (+1 warm-up), each cancelled at once`,
    );
    // Paced (1 s), so the few sends the worker makes before the cancel do not load the machine.
    const accepting = await tenant(
      api,
      admin,
      sim,
      database.url,
      { send_interval_ms: 1000, jitter_min_ms: 0, jitter_max_ms: 0 },
      1,
    );
    const recipients = numbers(ACCEPT_RECIPIENTS, 10_000_000);
    const body = JSON.stringify({
      instanceName: accepting.instances[0]!.name,
      recipients,
      message: 'Hello, your order is ready',
    });
    const acceptMs: number[] = [];
    const cancelMs: number[] = [];
    const quiet = async (what: string) => {
      const q = await meter.waitForQuiet(cores, 25, 60000);
      log(
        `  (before ${what}: waited ${fmt(q.waitedMs / 1000)} s for other processes to leave the CPU; they used ${fmt(q.otherPct, 0)}% of a core${q.quiet ? '' : ', gave up waiting'})`,
      );
      return q;
    };
    results.quiet = { accept: await quiet('the accept runs') };
    const a0 = meter.snapshot();
    for (let i = 0; i <= ACCEPT_RUNS; i++) {
      const t0 = performance.now();
      const res = await api.post(BULK, body, {
        headers: { ...accepting.key.headers, 'content-type': 'application/json' },
      });
      const ms = performance.now() - t0;
      if (res.status !== 202 || res.data.accepted !== ACCEPT_RECIPIENTS)
        throw new Error(`send-bulk answered ${res.status} ${JSON.stringify(res.data).slice(0, 500)}`);
      const c0 = performance.now();
      const cancel = await api.post(`${BULK}/${res.data.bulk_id}/cancel`, {}, accepting.key);
      const cms = performance.now() - c0;
      if (cancel.status !== 200) throw new Error(`cancel answered ${cancel.status} ${JSON.stringify(cancel.data)}`);
      if (i > 0) {
        acceptMs.push(ms);
        cancelMs.push(cms);
      }
      log(`  ${i === 0 ? 'warm-up' : `#${i}`}: 202 in ${fmt(ms, 0)} ms (cancel ${fmt(cms, 0)} ms)`);
    }
    const acceptCpu = CpuMeter.usage(a0, meter.snapshot(), cores);
    results.accept = {
      recipients: ACCEPT_RECIPIENTS,
      bodyBytes: Buffer.byteLength(body),
      latencyMs: dist(acceptMs),
      cancelMs: dist(cancelMs),
      cpu: acceptCpu,
    };
    log(
      `  accept p50 ${fmt(pct(acceptMs, 50), 0)} ms, p99 ${fmt(pct(acceptMs, 99), 0)} ms (body ${(Buffer.byteLength(body) / 1024).toFixed(0)} KiB)`,
    );

    // ---- 2. pacing on ----
    log(
      `\n[2/3] pacing on (interval ${PACED.send_interval_ms} ms, jitter ${PACED.jitter_min_ms}-${PACED.jitter_max_ms} ms): ${PACED_INSTANCES} instances x ${PACED_RECIPIENTS} recipients`,
    );
    const paced = await tenant(api, admin, sim, database.url, PACED, PACED_INSTANCES);
    (results.quiet as Record<string, unknown>).pacedStart = await quiet('the paced bulks');
    await sim.control.delete('/requests');
    // The pacer's key holds when the instance may send next (slot + gap, Redis clock). Sampled every few ms, each
    // new value is the scheduled slot of the instance's next send (the driver reserves well before it is due).
    const redis = new Redis(redisUrl(), { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    cleanup.add('close the Redis sampler', () => redis.disconnect());
    const keys = paced.instances.map((i) => `${prefix}:pace:${i.id}`);
    const schedule = new Map<string, number[]>(paced.instances.map((i) => [i.name, []]));
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const values = await redis.mget(...keys);
        values.forEach((v, idx) => {
          if (v === null) return;
          const list = schedule.get(paced.instances[idx]!.name)!;
          const n = Number(v);
          if (list.at(-1) !== n) list.push(n);
        });
        await new Promise((r) => setTimeout(r, 3));
      }
    })();
    const pacedBulks = await Promise.all(
      paced.instances.map(async (inst, k) => {
        const res = await api.post(
          BULK,
          {
            instanceName: inst.name,
            recipients: numbers(PACED_RECIPIENTS, 20_000_000 + k * 100),
            message: 'Paced hello',
          },
          paced.key,
        );
        if (res.status !== 202) throw new Error(`paced send-bulk answered ${res.status} ${JSON.stringify(res.data)}`);
        return res.data.bulk_id as string;
      }),
    );
    const p0 = meter.snapshot();
    await waitUntil('the paced bulks to complete', 60000, async () => {
      const states = await Promise.all(pacedBulks.map((id) => api.get(`${BULK}/${id}`, paced.key)));
      return states.every((s) => s.data.status === 'completed' || s.data.status === 'failed');
    });
    const pacedCpu = CpuMeter.usage(p0, meter.snapshot(), cores);
    sampling = false;
    await sampler;
    const pacedLog = (await sim.control.get('/requests')).data as SimRequest[];
    const gaps: number[] = [];
    const overMin: number[] = [];
    const lateness: number[] = [];
    const perInstance: {
      instance: string;
      sends: number;
      minGapMs: number;
      gapsMs: number[];
      latenessMs: number[];
      scheduled: number;
    }[] = [];
    for (const inst of paced.instances) {
      const at = pacedLog
        .filter((r) => r.method === 'POST' && r.path === `/message/sendText/${inst.name}`)
        .map((r) => new Date(r.at).getTime())
        .sort((a, b) => a - b);
      const g = at.slice(1).map((t, i) => t - at[i]!);
      const slots = schedule.get(inst.name)!;
      // slots[k] = slot of send k + its gap = the scheduled slot of send k+1.
      const late = at
        .slice(1)
        .map((t, i) => (slots[i] !== undefined ? t - slots[i] : NaN))
        .filter(Number.isFinite);
      gaps.push(...g);
      overMin.push(...g.map((x) => x - (PACED.send_interval_ms + PACED.jitter_min_ms)));
      lateness.push(...late);
      perInstance.push({
        instance: inst.name,
        sends: at.length,
        minGapMs: Math.min(...g),
        gapsMs: g,
        latenessMs: late,
        scheduled: slots.length,
      });
      log(`  ${inst.name}: ${at.length} sends, gaps ${g.join(', ')} ms; lateness vs schedule ${late.join(', ')} ms`);
    }
    results.paced = {
      settings: PACED,
      instances: PACED_INSTANCES,
      recipients: PACED_RECIPIENTS,
      gapMs: dist(gaps),
      gapMinusConfiguredMinMs: dist(overMin),
      latenessMs: dist(lateness),
      perInstance,
      cpu: pacedCpu,
    };
    log(
      `  smallest gap ${fmt(Math.min(...gaps), 0)} ms; lateness p50 ${fmt(pct(lateness, 50), 0)} p99 ${fmt(pct(lateness, 99), 0)} max ${fmt(Math.max(...lateness), 0)} ms (${lateness.length} sends)`,
    );

    // ---- 3. pacing off, many instances ----
    log(`\n[3/3] pacing off: ${FAST_INSTANCES} instances x ${FAST_RECIPIENTS} recipients`);
    const c0 = performance.now();
    const fast = await tenant(
      api,
      admin,
      sim,
      database.url,
      { send_interval_ms: 0, jitter_min_ms: 0, jitter_max_ms: 0 },
      FAST_INSTANCES,
    );
    const creationS = (performance.now() - c0) / 1000;
    log(`  created and connected ${FAST_INSTANCES} instances in ${fmt(creationS)} s`);
    const cleared = await sim.control.delete('/requests');
    if (cleared.status !== 200) throw new Error(`could not clear the simulator log: ${cleared.status}`);
    (results.quiet as Record<string, unknown>).fast = await quiet('the 200-instance run');
    const db = new Client({ connectionString: database.url });
    await db.connect();
    cleanup.add('close the sampler connection', () => db.end());
    const sentCount = async () =>
      Number(
        (
          await db.query<{ n: string }>(
            'SELECT count(*)::text AS n FROM messages WHERE client_id = $1 AND upstream_message_id IS NOT NULL',
            [fast.client.id],
          )
        ).rows[0]!.n,
      );

    const s0 = performance.now();
    const s0Wall = Date.now();
    const fastBulks = await pool(fast.instances, 10, async (inst, k) => {
      const res = await api.post(
        BULK,
        { instanceName: inst.name, recipients: numbers(FAST_RECIPIENTS, 30_000_000 + k * 1000), message: 'Fast hello' },
        fast.key,
      );
      if (res.status !== 202) throw new Error(`fast send-bulk answered ${res.status} ${JSON.stringify(res.data)}`);
      return res.data.bulk_id as string;
    });
    const startS = (performance.now() - s0) / 1000;
    log(`  started ${fastBulks.length} bulks in ${fmt(startS)} s`);
    const series: { t: number; sent: number }[] = [];
    const w0 = meter.snapshot();
    const first = await sentCount();
    const wt0 = performance.now();
    const wt0Wall = Date.now();
    series.push({ t: 0, sent: first });
    let last = first;
    while (performance.now() - wt0 < WINDOW_S * 1000 && last < FAST_INSTANCES * FAST_RECIPIENTS) {
      await new Promise((r) => setTimeout(r, 1000));
      last = await sentCount();
      series.push({ t: (performance.now() - wt0) / 1000, sent: last });
    }
    const w1 = meter.snapshot();
    const wt1Wall = Date.now();
    const windowS = (performance.now() - wt0) / 1000;
    const fastCpu = CpuMeter.usage(w0, w1, cores);
    const rate = (last - first) / windowS;
    const bulkStates = await pool(
      fastBulks,
      10,
      async (id) => (await api.get(`${BULK}/${id}?limit=1`, fast.key)).data.status as string,
    );
    const running = bulkStates.filter((s) => s === 'running').length;
    const cancels = await pool(
      fastBulks,
      10,
      async (id) => (await api.post(`${BULK}/${id}/cancel`, {}, fast.key)).status,
    );
    const fastLog = (await sim.control.get('/requests')).data as SimRequest[];
    const fastNames = new Set(fast.instances.map((i) => `/message/sendText/${i.name}`));
    const allSends = fastLog.filter((r) => r.method === 'POST' && r.path.startsWith('/message/sendText/'));
    const simSends = allSends.filter((r) => fastNames.has(r.path));
    const inWindow = simSends.filter((r) => {
      const t = new Date(r.at).getTime();
      return t >= wt0Wall && t < wt1Wall;
    }).length;
    const simTimesAll = simSends.map((r) => new Date(r.at).getTime());
    const diag = {
      logEntries: fastLog.length,
      sendTextAll: allSends.length,
      sendTextFastTenant: simSends.length,
      firstSendAfterBulkStartS: simTimesAll.length ? (Math.min(...simTimesAll) - s0Wall) / 1000 : null,
      lastSendAfterBulkStartS: simTimesAll.length ? (Math.max(...simTimesAll) - s0Wall) / 1000 : null,
      windowStartAfterBulkStartS: (wt0Wall - s0Wall) / 1000,
      windowEndAfterBulkStartS: (wt1Wall - s0Wall) / 1000,
      simSendsInWindow: inWindow,
      simSendsPerSecondInWindow: inWindow / ((wt1Wall - wt0Wall) / 1000),
    };
    log(`  simulator: ${JSON.stringify(diag)}`);
    const simTimes = simSends.map((r) => new Date(r.at).getTime()).sort((a, b) => a - b);
    const perSecond: number[] = [];
    if (simTimes.length > 0)
      for (const t of simTimes)
        perSecond[Math.floor((t - simTimes[0]!) / 1000)] = (perSecond[Math.floor((t - simTimes[0]!) / 1000)] ?? 0) + 1;
    results.fast = {
      instances: FAST_INSTANCES,
      recipientsPerBulk: FAST_RECIPIENTS,
      creationS,
      startBulksS: startS,
      windowS,
      sentInWindow: last - first,
      sendsPerSecond: rate,
      series,
      bulkStatesAtWindowEnd: bulkStates.reduce<Record<string, number>>((m, s) => ((m[s] = (m[s] ?? 0) + 1), m), {}),
      runningAtWindowEnd: running,
      cancelStatuses: cancels.reduce<Record<string, number>>(
        (m, s) => ((m[String(s)] = (m[String(s)] ?? 0) + 1), m),
        {},
      ),
      simulatorSendTextLogged: simSends.length,
      simulatorDiag: diag,
      simulatorPerSecond: perSecond.map((x) => x ?? 0),
      cpu: fastCpu,
    };
    log(
      `  ${last - first} sends in ${fmt(windowS)} s = ${fmt(rate, 0)} sends/s (bulks at window end: ${JSON.stringify((results.fast as { bulkStatesAtWindowEnd: unknown }).bulkStatesAtWindowEnd)})`,
    );
    log(`  simulator per second: ${perSecond.map((x) => x ?? 0).join(' ')}`);
    log(
      `  CPU (% of one core): ${Object.entries(fastCpu)
        .map(([k, v]) => `${k} ${v.toFixed(0)}`)
        .join(', ')}`,
    );

    results.durationS = (performance.now() - started) / 1000;
    const file = path.join(os.tmpdir(), `bulk-bench-${process.pid}.json`);
    writeFileSync(file, JSON.stringify(results, null, 2));
    log(`\nresults saved to ${file}`);
    log(JSON.stringify(results));
  } finally {
    await cleanup.run();
  }
}

runMain(main);
