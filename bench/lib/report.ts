import type { Options } from '../run';
import type { ProfileSummary } from './cpu-profile';
import type { MicroResult } from './db-microbench';
import type { RunResult } from './load';
import type { Machine } from './machine';

export interface ReadRun {
  tenant: string;
  endpoint: string;
  fixed: RunResult;
  max: RunResult;
  /** Not part of a target: shown for information. */
  extra?: boolean;
}

export interface CallStats {
  perRequest: number;
  /** Sum of the call times per request, measured at the counting proxy (server time plus one loopback hop). */
  msPerRequest: number;
  calls: { what: string; perRequest: number; meanMs: number }[];
}

export interface TraceResult {
  name: string;
  requests: number;
  meanLatencyMs: number;
  postgres: CallStats;
  redis: CallStats;
}

export interface TargetCheck {
  id: string;
  what: string;
  goal: string;
  measured: string;
  met: boolean;
}

export interface BenchResults {
  machine: Machine;
  command: string;
  options: Options;
  seed: { smallRows: number; largeRows: number; seconds: number };
  reads: {
    runs: ReadRun[];
    walks: { tenant: string; pages: number; limit: number; seconds: number; meanMs: number }[];
    plans: { small: string; large: string };
    deepLimit: number;
  };
  sends: {
    warmup: RunResult[];
    max: RunResult[];
    fixed: RunResult[];
    /** Both servers at half the gateway's capacity, when that is below the target rate. */
    belowCapacity?: { rate: number; runs: RunResult[] };
    ladder: RunResult[];
    answered: number;
    /** Upper bound of the sends still in flight when runs stopped: served and logged, not counted in `answered`. */
    inFlightAtStops: number;
    logged: { rows: number; accepted: number };
  };
  diagnostics?: { trace: TraceResult[]; profile?: ProfileSummary; profiledRun: RunResult; steps: MicroResult[] };
  targets: TargetCheck[];
  durationS: number;
}

const f = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : '—');
const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '—');
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

function byServer(runs: RunResult[], name: string): RunResult[] {
  return runs.filter((r) => r.target === name);
}

export interface SendSummary {
  gwMax: number;
  bareMax: number;
  ratio: number;
  gwP50: number;
  bareP50: number;
  gwP99: number;
  bareP99: number;
  gwRate: number;
  bareRate: number;
}

export function sendSummary(r: BenchResults): SendSummary {
  const gwMax = mean(byServer(r.sends.max, 'gateway').map((x) => x.rps));
  const bareMax = mean(byServer(r.sends.max, 'bare proxy').map((x) => x.rps));
  const gw = byServer(r.sends.fixed, 'gateway');
  const bare = byServer(r.sends.fixed, 'bare proxy');
  return {
    gwMax,
    bareMax,
    ratio: gwMax / bareMax,
    gwP50: mean(gw.map((x) => x.latency.p50)),
    bareP50: mean(bare.map((x) => x.latency.p50)),
    gwP99: mean(gw.map((x) => x.latency.p99)),
    bareP99: mean(bare.map((x) => x.latency.p99)),
    gwRate: mean(gw.map((x) => x.rps)),
    bareRate: mean(bare.map((x) => x.rps)),
  };
}

export function checkTargets(r: BenchResults): TargetCheck[] {
  const s = sendSummary(r);
  const rate = r.options.rate;
  const sustained = s.gwRate >= rate * 0.97;
  const checks: TargetCheck[] = [
    {
      id: '1a',
      what: `Send throughput at full load (${r.options.connections} connections), gateway ÷ bare proxy`,
      goal: '≥ 0.5',
      measured: `${f(s.ratio, 2)} (${int(s.gwMax)} ÷ ${int(s.bareMax)} req/s)`,
      met: s.ratio >= 0.5,
    },
    {
      id: '1b',
      what: `Added p50 latency at ${rate} req/s (gateway − bare proxy)`,
      goal: '≤ 1 ms',
      measured: `${f(s.gwP50 - s.bareP50, 2)} ms (${f(s.gwP50, 2)} − ${f(s.bareP50, 2)})${sustained ? '' : `; gateway sustained only ${int(s.gwRate)} req/s`}`,
      met: s.gwP50 - s.bareP50 <= 1 && sustained,
    },
    {
      id: '1c',
      what: `Added p99 latency at ${rate} req/s (gateway − bare proxy)`,
      goal: '≤ 5 ms',
      measured: `${f(s.gwP99 - s.bareP99, 2)} ms (${f(s.gwP99, 2)} − ${f(s.bareP99, 2)})`,
      met: s.gwP99 - s.bareP99 <= 5 && sustained,
    },
  ];
  const large = label(r.seed.largeRows);
  const small = label(r.seed.smallRows);
  const core = r.reads.runs.filter((x) => !x.extra);
  const endpoints = [...new Set(core.map((x) => x.endpoint))];
  endpoints.forEach((e, i) => {
    const l = core.find((x) => x.endpoint === e && x.tenant === large)!;
    const sm = core.find((x) => x.endpoint === e && x.tenant === small)!;
    const letter = String.fromCharCode(97 + i * 2);
    checks.push({
      id: `2${letter}`,
      what: `${e}: p95 at ${large} rows (${r.options.readRate} req/s)`,
      goal: '≤ 10 ms',
      measured: `${f(l.fixed.latency.p95, 2)} ms`,
      met: l.fixed.latency.p95 <= 10 && l.fixed.failed + l.fixed.errors === 0,
    });
    const ratio = l.fixed.latency.p95 / sm.fixed.latency.p95;
    checks.push({
      id: `2${String.fromCharCode(98 + i * 2)}`,
      what: `${e}: p95 ${large} ÷ p95 ${small}`,
      goal: '≤ 1.5',
      measured: `${f(ratio, 2)} (${f(l.fixed.latency.p95, 2)} ÷ ${f(sm.fixed.latency.p95, 2)} ms)`,
      met: ratio <= 1.5,
    });
  });
  return checks;
}

export function label(rows: number): string {
  return rows >= 1_000_000 ? `${rows / 1_000_000}M` : rows >= 1000 ? `${rows / 1000}k` : String(rows);
}

export function printSummary(r: BenchResults, log: (s: string) => void): void {
  log('\nTargets');
  const w = Math.max(...r.targets.map((t) => t.what.length));
  for (const t of r.targets)
    log(
      `  ${t.id.padEnd(3)} ${t.what.padEnd(w)}  goal ${t.goal.padEnd(8)} measured ${t.measured.padEnd(40)} ${t.met ? 'met' : 'NOT MET'}`,
    );
  log(`\ntotal time ${f(r.durationS, 0)} s`);
}

const CPU_GROUPS = ['gateway', 'bare proxy', 'simulator', 'postgres', 'redis', 'load generator', 'everything else'];

function cpuCells(cpu: Record<string, number>): string {
  return CPU_GROUPS.map((g) => (cpu[g] === undefined ? '—' : `${f(cpu[g], 0)}`)).join(' | ');
}

function runTable(runs: RunResult[], withRate: boolean): string {
  const head = `| server | ${withRate ? 'achieved req/s' : 'req/s'} | p50 ms | p90 ms | p99 ms | max ms | failed | CPU % (100 = one core): ${CPU_GROUPS.join(' / ')} | generator stall ms |`;
  const lines = [head, '|---|---:|---:|---:|---:|---:|---:|---|---:|'];
  for (const x of runs) {
    lines.push(
      `| ${x.target} | ${int(x.rps)} | ${f(x.latency.p50, 2)} | ${f(x.latency.p90, 2)} | ${f(x.latency.p99, 2)} | ${f(x.latency.max, 1)} | ${x.failed + x.errors} | ${cpuCells(x.cpu)} | ${f(x.generatorStallMs?.max ?? NaN, 0)} |`,
    );
  }
  return lines.join('\n');
}

/** The diagnostics condensed: CPU per send, what the database steps cost through Prisma and without it. */
function limits(r: BenchResults, d: NonNullable<BenchResults['diagnostics']>): string[] {
  const cpuPerRequest = (runs: RunResult[], group: string) =>
    mean(runs.map((x) => (((x.cpu[group] ?? NaN) / 100) * 1000) / x.rps));
  const gwCpu = cpuPerRequest(byServer(r.sends.max, 'gateway'), 'gateway');
  const bareCpu = cpuPerRequest(byServer(r.sends.max, 'bare proxy'), 'bare proxy');
  const steps = (via: string) => d.steps.filter((st) => st.via === via && st.step !== 'floor');
  const sum = (xs: { cpuMs: number; meanMs: number }[], k: 'cpuMs' | 'meanMs') => xs.reduce((a, x) => a + x[k], 0);
  const viaGateway = steps('gateway');
  const viaPg = steps('pg');
  const viaOrm = steps('prisma orm');
  const prismaShare = (d.profile?.self ?? [])
    .filter((c) => /prisma|^wasm/.test(c.component))
    .reduce((a, c) => a + c.pct, 0);
  const send = d.trace.find((t) => t.name === 'POST /send');
  const lines = [
    '## What limits the gateway (from the diagnostics)',
    '',
    `- **CPU per request.** At full load the gateway process spent ${f(gwCpu, 2)} ms of CPU per send, the bare proxy ${f(bareCpu, 2)} ms: the throughput ratio is essentially the inverse of this (${f(bareCpu / gwCpu, 2)}), because the gateway's one event loop is the bottleneck.`,
    `- **The database client.** The four database steps of a send (auth, instance lookup, logging the message with its rollups, recording the upstream id) cost ${f(sum(viaGateway, 'cpuMs'), 2)} ms of client CPU and ${f(sum(viaGateway, 'meanMs'), 2)} ms of latency as the gateway runs them (hand-written SQL through Prisma's \`$queryRaw\`), ${f(sum(viaOrm, 'cpuMs'), 2)} ms and ${f(sum(viaOrm, 'meanMs'), 2)} ms as the equivalent Prisma ORM calls, and ${f(sum(viaPg, 'cpuMs'), 2)} ms and ${f(sum(viaPg, 'meanMs'), 2)} ms as plain node-postgres statements doing the same work (table in section 3). The gateway uses Prisma 6 with the \`queryCompiler\` preview and @prisma/adapter-pg: every ORM call is compiled to SQL by a WebAssembly module on the event loop, and even a raw query passes through the client's request pipeline before it reaches node-postgres.${d.profile ? ` In the CPU profile, Prisma's client and that WebAssembly module take ${f(prismaShare, 0)}% of the gateway's busy time as their own (self) time.` : ''}`,
  ];
  if (send) {
    lines.push(
      `- **Round trips.** A send makes ${f(send.postgres.perRequest, 0)} Postgres round trips and ${f(send.redis.perRequest, 0)} Redis calls (listed in section 3, the \`send.message\` webhook's included), one after the other; with nothing queued they took ${f(send.postgres.msPerRequest, 1)} ms and ${f(send.redis.msPerRequest, 1)} ms of a send's ${f(send.meanLatencyMs, 1)} ms (through the counting proxies). Every COMMIT, and every write outside a transaction, also waits for Postgres to flush its WAL to disk.`,
    );
  }
  return lines;
}

function belowCapacityLine(b: { rate: number; runs: RunResult[] }): string {
  const gw = byServer(b.runs, 'gateway');
  const bare = byServer(b.runs, 'bare proxy');
  const p50 = mean(gw.map((x) => x.latency.p50)) - mean(bare.map((x) => x.latency.p50));
  const p99 = mean(gw.map((x) => x.latency.p99)) - mean(bare.map((x) => x.latency.p99));
  return `At ${b.rate} req/s the gateway adds ${f(p50, 2)} ms at p50 and ${f(p99, 2)} ms at p99 over the bare proxy (mean of the rounds).`;
}

const round = (n: number, d: number) => (Number.isFinite(n) ? Math.round(n * 10 ** d) / 10 ** d : null);

function compactRun(x: RunResult): Record<string, unknown> {
  return {
    target: x.target,
    mode: x.mode,
    connections: x.connections,
    ...(x.targetRate ? { targetRate: x.targetRate } : {}),
    seconds: round(x.durationS, 1),
    ok: x.ok,
    failed: x.failed,
    errors: x.errors,
    rps: round(x.rps, 1),
    latency: Object.fromEntries(Object.entries(x.latency).map(([k, v]) => [k, round(v, 3)])),
    cpu: Object.fromEntries(Object.entries(x.cpu).map(([k, v]) => [k, round(v, 0)])),
    ...(x.generatorStallMs
      ? { generatorStallMs: { p99: round(x.generatorStallMs.p99, 1), max: round(x.generatorStallMs.max, 1) } }
      : {}),
    ...(x.attempts && x.attempts > 1 ? { attempts: x.attempts } : {}),
  };
}

/** Valid JSON with every load run on one line. */
function rawJson(r: BenchResults): string {
  const runs = (xs: RunResult[]) => `[\n${xs.map((x) => `    ${JSON.stringify(compactRun(x))}`).join(',\n')}\n  ]`;
  const fields: [string, string][] = [
    ['machine', JSON.stringify(r.machine)],
    ['command', JSON.stringify(r.command)],
    ['options', JSON.stringify(r.options)],
    ['seed', JSON.stringify(r.seed)],
    ['targets', `[\n${r.targets.map((t) => `    ${JSON.stringify(t)}`).join(',\n')}\n  ]`],
    [
      'reads',
      runs(r.reads.runs.flatMap((x) => [x.fixed, x.max].map((y) => ({ ...y, target: `${x.endpoint} [${x.tenant}]` })))),
    ],
    ['pageWalks', JSON.stringify(r.reads.walks)],
    ['sendWarmup', runs(r.sends.warmup)],
    ['sendFullLoad', runs(r.sends.max)],
    ['sendFixedRate', runs(r.sends.fixed)],
    ...(r.sends.belowCapacity ? ([['sendBelowCapacity', runs(r.sends.belowCapacity.runs)]] as [string, string][]) : []),
    ['concurrency1', runs(r.sends.ladder)],
    [
      'sendLog',
      JSON.stringify({ answered: r.sends.answered, inFlightAtStops: r.sends.inFlightAtStops, ...r.sends.logged }),
    ],
    ...(r.diagnostics
      ? ([
          ['profiledFullLoad', JSON.stringify(compactRun(r.diagnostics.profiledRun))],
          [
            'databaseSteps',
            `[\n${r.diagnostics.steps.map((st) => `    ${JSON.stringify({ ...st, meanMs: round(st.meanMs, 3), cpuMs: round(st.cpuMs, 3) })}`).join(',\n')}\n  ]`,
          ],
        ] as [string, string][])
      : []),
    ['durationS', String(round(r.durationS, 0))],
  ];
  return `{\n${fields.map(([k, v]) => `  ${JSON.stringify(k)}: ${v}`).join(',\n')}\n}`;
}

function code(s: string, lang = ''): string {
  return `\`\`\`${lang}\n${s}\n\`\`\``;
}

export function renderMarkdown(r: BenchResults): string {
  const m = r.machine;
  const s = sendSummary(r);
  const o = r.options;
  const small = label(r.seed.smallRows);
  const large = label(r.seed.largeRows);
  const out: string[] = [];
  const p = (...lines: string[]) => out.push(...lines);

  p(
    '# Performance',
    '',
    `> The targets and sections 1 to 3 are generated by \`${r.command}\` (bench/run.ts) from a real run on ${m.date.slice(0, 10)}; every figure in them comes from that run.`,
    '> Do not edit them by hand: rerun the command to refresh them (it rewrites only the part between its markers and keeps the sections after it).',
    '',
    '## Targets (issue 5, item 8)',
    '',
    '| # | What | Goal | Measured | Status |',
    '|---|---|---|---|---|',
    ...r.targets.map((t) => `| ${t.id} | ${t.what} | ${t.goal} | ${t.measured} | ${t.met ? 'met' : '**not met**'} |`),
    '',
    `${r.targets.filter((t) => t.met).length} of ${r.targets.length} targets met.`,
    '',
    '## How this was run',
    '',
    `- Command: \`${r.command}\` (from the repository root, with Postgres on 127.0.0.1:5432 and Redis on 127.0.0.1:6379; \`npm run bench -- --help\` lists the options). Total time ${f(r.durationS / 60, 1)} min.`,
    `- Date: ${m.date}`,
    `- Machine: ${m.nproc} CPU cores (\`nproc\`), ${m.cpuModel}, ${m.memoryGiB} GiB memory, ${m.os}; Node ${m.node}, PostgreSQL ${m.postgres}, Redis ${m.redis}. Load average at start: ${m.loadAverageAtStart.join(', ')}.`,
    `- Code: commit ${m.commit}${m.uncommitted > 0 ? `, with ${m.uncommitted} uncommitted changes under src/ and prisma/ in the working tree` : ' (src/ and prisma/ as committed)'}.`,
    `- Options: ${o.duration} s per measured run, ${o.warmup} s warm-up per server, ${o.connections} connections at full load, ${o.rate} req/s fixed send rate, ${o.readRate} req/s fixed read rate, ${o.rounds} ABBA rounds.`,
    '',
    '**Processes.** Each server runs in its own Node process, so the load generator never shares an event loop with what it measures:',
    '',
    '- the gateway: `src/main.ts` as an operator runs it (API and worker in one process, `APP_ROLE=all`), compiled on load by ts-node (transpile-only, the JavaScript a build would produce), `LOG_LEVEL=warn` (no request logs), on a database cloned from the migrated template and its own Redis key prefix;',
    '- the bare proxy (`bench/bare-proxy.ts`): Fastify 5 with the same route, forwarding `{number, text}` to `POST /message/sendText/:instance` with the instance token as `apikey`, through the same HTTP client as the gateway (axios over a keep-alive agent of 128 sockets); no auth, no validation, no database;',
    '- the Evolution API simulator (`test/upstream/main.ts`), shared by both, with status webhooks off (`acks: []`). It still posts the one `send.message` webhook the real upstream posts for every send; the gateway subscribes to that event to forward it to tenant webhooks, so handling it is part of what a gateway send costs. The bare proxy sends through an instance made directly on the simulator, with no webhook;',
    '- the load generator: autocannon 8, in the benchmark process. Latency is measured from the moment a request is written to the last byte of its answer, for every response (percentiles computed from all samples, no coordinated-omission correction).',
    '',
    `**Send runs.** After a warm-up of each server at full load, full-load runs (closed loop, ${o.connections} connections) and then fixed-rate runs alternate between the servers in ABBA order (bare, gateway, gateway, bare, …) so that drift on the machine hits both equally; the table shows every run and the targets use the mean of the rounds. The fixed rate uses autocannon's \`overallRate\`, which releases each connection's per-second quota in one burst at the start of every second; the rate is therefore split over 25 single-connection autocannon instances started 40 ms apart, which makes the arrivals close to steady. Pacing, rate limit and daily cap are out of the way (\`send_interval_ms\`, jitter 0; \`rate_limit\` 1 000 000/min and \`daily_cap\` 100 000 000, written to the benchmark database because the admin API caps both at 100 000): they are the product's anti-ban features, and the benchmark measures the gateway's overhead.`,
    '',
    `**Read runs.** Two tenants share the message log: ${int(r.seed.largeRows)} rows for one and ${int(r.seed.smallRows)} for the other, interleaved by id and spread over the 30 days \`/stats\` charts (today and the 29 days before) as if both had been sending side by side (loaded with one \`INSERT … SELECT generate_series\` in ${f(r.seed.seconds, 0)} s, then \`message_counts\` and \`usage_daily\` derived from the rows as MessageRepository maintains them, then \`VACUUM ANALYZE\` and a checkpoint). Before measuring, the benchmark checks that \`/stats\` and \`/messages\` report exactly the rows loaded, and walks 999 pages through the API to get the page-1,000 cursor, checking it against the same cursor computed in SQL. A tenant with ${small} rows has a page 1,000 only at \`limit=${r.reads.deepLimit}\`, so page 1,000 is measured at that limit for both tenants. After a warm-up pass over all of them (2 s each at the fixed rate), each endpoint gets another 2 s warm-up, ${o.duration} s at ${o.readRate} req/s (latency) and 5 s at full load with 8 connections (throughput), authenticated with the tenant's client API key; the two tenants are measured one after the other for each endpoint.`,
    '',
    '## 1. `POST /api/v1/whatsapp/send`: gateway vs bare proxy',
    '',
    `Throughput ratio ${f(s.ratio, 2)} (${int(s.gwMax)} vs ${int(s.bareMax)} req/s at full load); at ${o.rate} req/s the gateway adds ${f(s.gwP50 - s.bareP50, 2)} ms at p50 and ${f(s.gwP99 - s.bareP99, 2)} ms at p99.`,
    '',
    `### Full load (${o.connections} connections, ${o.duration} s per run)`,
    '',
    runTable(r.sends.max, false),
    '',
    `### Fixed rate: ${o.rate} req/s`,
    '',
    runTable(r.sends.fixed, true),
    '',
    ...(r.sends.belowCapacity
      ? [
          `The gateway's full-load throughput on this machine is below ${o.rate} req/s, so at that rate it is saturated and its latency is queueing. For what it adds when it is not saturated, both servers were also run at ${r.sends.belowCapacity.rate} req/s, about half the gateway's capacity (not a target, for reading the results):`,
          '',
          runTable(r.sends.belowCapacity.runs, true),
          '',
          belowCapacityLine(r.sends.belowCapacity),
          '',
        ]
      : []),
    '### One request at a time (concurrency 1, 3 s each)',
    '',
    'What each layer costs when nothing queues: the simulator alone, the bare proxy in front of it, the gateway with no I/O (`/health`), a gateway read (auth, rate limit, rollup queries) and a gateway send.',
    '',
    '| request | req/s | p50 ms | p90 ms | p99 ms |',
    '|---|---:|---:|---:|---:|',
    ...r.sends.ladder.map(
      (x) =>
        `| ${x.target} | ${int(x.rps)} | ${f(x.latency.p50, 2)} | ${f(x.latency.p90, 2)} | ${f(x.latency.p99, 2)} |`,
    ),
    '',
    `Every send the gateway answered with 201 is in the message log: the load generator counted ${int(r.sends.answered)} answers with 201, and the log holds ${int(r.sends.logged.accepted)} messages with the upstream's message id (${int(r.sends.logged.rows)} rows in all for the sending client); the ${int(r.sends.logged.accepted - r.sends.answered)} more are requests still in flight when a run stopped (at most ${int(r.sends.inFlightAtStops)}), served but not counted.`,
    '',
    `## 2. Message log and stats: ${small} vs ${large} rows`,
    '',
    `Latency at ${o.readRate} req/s (${o.duration} s), throughput at full load (8 connections, 5 s).`,
    '',
    `| endpoint | tenant | p50 ms | p95 ms | p99 ms | max ms | failed | gateway CPU % | other processes CPU % | generator stall ms | full-load req/s | gateway / postgres CPU % at full load |`,
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...r.reads.runs.map(
      (x) =>
        `| ${x.endpoint}${x.extra ? ' *(extra)*' : ''} | ${x.tenant} | ${f(x.fixed.latency.p50, 2)} | ${f(x.fixed.latency.p95, 2)} | ${f(x.fixed.latency.p99, 2)} | ${f(x.fixed.latency.max, 1)} | ${x.fixed.failed + x.fixed.errors} | ${f(x.fixed.cpu.gateway ?? NaN, 0)} | ${f(x.fixed.cpu['everything else'] ?? NaN, 0)} | ${f(x.fixed.generatorStallMs?.max ?? NaN, 0)} | ${int(x.max.rps)} | ${f(x.max.cpu.gateway ?? NaN, 0)} / ${f(x.max.cpu.postgres ?? NaN, 0)} |`,
    ),
    '',
    ...r.reads.walks.map(
      (w) =>
        `- ${w.tenant}: walking ${w.pages} pages of ${w.limit} through the API, one request after the other, took ${f(w.seconds, 1)} s (${f(w.meanMs, 2)} ms per page).`,
    ),
    `- The *(extra)* row is page 1,000 at the default limit of 50 for the ${large} tenant (49,950 rows deep), reached with a cursor computed in SQL.`,
    '',
    `Plan of the first page's query for the ${small} tenant (\`EXPLAIN ANALYZE\` of \`SELECT * FROM messages WHERE client_id = $1 ORDER BY id DESC LIMIT 51\`: the messages side of the gateway's list query, which also joins each row's instance name by primary key):`,
    '',
    code(r.reads.plans.small),
    '',
    `and for the ${large} tenant:`,
    '',
    code(r.reads.plans.large),
    '',
  );

  const d = r.diagnostics;
  if (d) {
    p('## 3. Where a send goes: diagnostics', '');
    p(
      'A second gateway process, started with `--cpu-prof` and connected to Postgres and Redis through counting TCP proxies in the benchmark process (they read the wire protocols and time each round trip from request to answer: server time plus one loopback hop), after the measured runs. These figures explain the results; they are not measurements of their own (the proxies and the profiler slow the gateway down).',
      '',
    );
    for (const t of d.trace) {
      p(
        `### ${t.name}: ${f(t.postgres.perRequest, 1)} Postgres round trips, ${f(t.redis.perRequest, 1)} Redis commands per request`,
        '',
        `${t.requests} requests one after the other, ${f(t.meanLatencyMs, 2)} ms each on average through the proxies; Postgres calls took ${f(t.postgres.msPerRequest, 2)} ms and Redis calls ${f(t.redis.msPerRequest, 2)} ms of that per request (sequential, as they are issued one after the other).`,
        '',
        '| Postgres statement (first 140 characters) | per request | mean ms |',
        '|---|---:|---:|',
        ...t.postgres.calls
          .filter((c) => c.perRequest >= 0.05)
          .map(
            (c) => `| \`${c.what.slice(0, 140).replace(/\|/g, '\\|')}\` | ${f(c.perRequest, 2)} | ${f(c.meanMs, 3)} |`,
          ),
        '',
        '| Redis command (key kind) | per request | mean ms |',
        '|---|---:|---:|',
        ...t.redis.calls
          .filter((c) => c.perRequest >= 0.05)
          .map((c) => `| \`${c.what}\` | ${f(c.perRequest, 2)} | ${f(c.meanMs, 3)} |`),
        '',
      );
    }
    if (d.steps.length > 0) {
      p(
        '### The database steps of a send, timed from outside',
        '',
        "Each step run 300 times in a row (after 50 untimed) from the benchmark process against the same database, as the gateway does it (its repository method), as the equivalent Prisma ORM call, and as plain node-postgres doing the same work. *CPU* is the client process's CPU per call, i.e. what the step costs the gateway's event loop; *latency* adds the round trips and Postgres' own time (including the WAL flush of each commit).",
        '',
        '| step | round trips | latency ms | client CPU ms |',
        '|---|---:|---:|---:|',
        ...d.steps.map((st) => `| ${st.what} | ${st.roundTrips} | ${f(st.meanMs, 3)} | ${f(st.cpuMs, 3)} |`),
        '',
      );
    }
    if (d.profile) {
      const pr = d.profile;
      p(
        `### CPU profile of the gateway at full load`,
        '',
        `${o.connections} connections for ${o.duration} s against the profiled gateway: ${int(d.profiledRun.rps)} req/s. ${f(pr.busyMs / 1000, 1)} s of busy samples. *Self* is the share of busy CPU time spent in a component's own code; *on stack* is the share of samples where the component appears anywhere on the stack (they overlap, so they add up to more than 100%).`,
        '',
        '| component | self % | on stack % |',
        '|---|---:|---:|',
        ...pr.self
          .slice(0, 18)
          .map(
            (c) =>
              `| ${c.component} | ${f(c.pct, 1)} | ${f(pr.inclusive.find((i) => i.component === c.component)?.pct ?? NaN, 1)} |`,
          ),
        '',
        'Hottest functions (self time):',
        '',
        '| function | component | self % |',
        '|---|---|---:|',
        ...pr.functions.slice(0, 12).map((fn) => `| \`${fn.fn}\` | ${fn.component} | ${f(fn.pct, 1)} |`),
        '',
      );
    }
  }

  if (d) p(...limits(r, d), '');

  const gwFull = mean(byServer(r.sends.max, 'gateway').map((x) => x.cpu.gateway ?? NaN));
  const bareFull = byServer(r.sends.max, 'bare proxy');
  const bareCpu = (g: string) => f(mean(bareFull.map((x) => x.cpu[g] ?? NaN)), 0);
  const saturated = s.gwRate < o.rate * 0.97;
  const readGw = mean(r.reads.runs.filter((x) => !x.extra).map((x) => x.fixed.cpu.gateway ?? NaN));
  const retried = [
    ...r.reads.runs.flatMap((x) => [x.fixed, x.max]),
    ...r.sends.max,
    ...r.sends.fixed,
    ...(r.sends.belowCapacity?.runs ?? []),
    ...r.sends.ladder,
  ].filter((x) => (x.attempts ?? 1) > 1).length;
  p(
    '## How to read these numbers, and what limits them',
    '',
    `- **Everything shares ${m.nproc} cores.** The load generator, the simulator, Postgres and Redis run on the machine that runs the server under test; the CPU columns show how the cores were split during each run (100 = one core). Node runs a server's JavaScript on one thread, so one core is the most a server process can use (figures a little over 100 come from V8's garbage-collector and libuv's helper threads): the gateway used ${f(gwFull, 0)}% of one at full load, the bare proxy ${bareCpu('bare proxy')}% (with the simulator at ${bareCpu('simulator')}% and the load generator at ${bareCpu('load generator')}% beside it). On a machine with more or faster cores, or with the load generator elsewhere, both throughputs rise; the ratio between them is what carries over, as long as each server saturates its own core.`,
    `- **Disturbances.** \`everything else\` is the CPU the rest of the machine used during a run (here, for instance, another test suite), and *generator stall* is the longest the load generator's own event loop was held up: it times requests on that loop, so a stall adds to every latency in flight. Before each measured run the benchmark waits up to ${o.quietWait} s for a quiet second, and it repeats a run (twice at most, keeping the least disturbed attempt) when other processes took more than a third of a core or the generator stalled for more than 30 ms${retried > 0 ? `; ${retried} runs were repeated` : ''}. Rows where either is still high are less reliable than the others.`,
    `- **Fixed-rate latency** is what a client sees at a steady rate, and *added* latency is the gateway's p50 or p99 minus the bare proxy's at the same rate: the time the gateway's own work and round trips take. ${saturated ? `On this machine the gateway cannot sustain ${o.rate} req/s (it reached ${int(s.gwRate)}), so at that rate its latency is mostly time spent queueing, which is why the half-capacity rate is also shown. ` : ''}A p99 is set by the slowest 1% of the requests of a run, so it moves between runs more than a p50; compare the rounds to judge the noise.`,
    `- **Full-load latency** is mostly queueing (${o.connections} requests in flight for a server that works on one at a time), so it is shown but not a target.`,
    `- **Reads** are measured at ${o.readRate} req/s, where the gateway was about ${f(readGw, 0)}% busy on average, so their p95 includes some waiting behind other requests. \`/stats\` reads only the \`usage_daily\` rollup (days × instances × message types), and the log's \`total\` comes from \`message_counts\`, so neither grows with the log; the page query is a keyset (\`id < cursor ORDER BY id DESC LIMIT n\`), and its cost at any depth depends on the plan shown in section 2. What the read latencies have in common is the fixed cost of a request in the gateway (auth, rate limit, Prisma), not the size of the log.`,
    '- **Not measured here:** TLS, a network between client, gateway and upstream, a real WhatsApp upstream (the simulator answers in well under a millisecond), horizontal scaling (several API processes behind a load balancer, sharing Postgres and Redis), and the worker under bulk-send load.',
    '',
    '## Raw results',
    '',
    '<details><summary>JSON of the run, one line per load run (latency in ms, CPU in % of one core); statements, plans and the profile are in the tables above</summary>',
    '',
    code(rawJson(r), 'json'),
    '',
    '</details>',
    '',
  );
  return out.join('\n');
}
