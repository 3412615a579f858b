import autocannon from 'autocannon';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { CpuMeter } from './cpu';

/** One HTTP request, repeated. */
export interface Target {
  name: string;
  baseUrl: string;
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: unknown;
  /** The status every response must have; others are counted as failures and left out of the latencies. */
  expectStatus: number;
}

export interface LatencySummary {
  mean: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
}

export interface RunResult {
  target: string;
  mode: 'max' | 'fixed';
  connections: number;
  /** Requests per second asked for (fixed-rate runs). */
  targetRate?: number;
  durationS: number;
  ok: number;
  failed: number;
  errors: number;
  statusCodes: Record<string, number>;
  /** Responses with the expected status per second. */
  rps: number;
  /** Milliseconds, from the load generator's send to the last byte of the answer (no coordinated-omission correction). */
  latency: LatencySummary;
  /** Percent of one core per process group during the run. */
  cpu: Record<string, number>;
  /**
   * Event-loop delay of the load generator during the run (ms). The generator times requests on its own event loop,
   * so a stall there (its own GC, or the machine taking its core away) adds to every latency in flight.
   */
  generatorStallMs: { p99: number; max: number };
  /** How long the run waited for the rest of the machine to go quiet, and how busy it was just before. */
  quiet?: { waitedMs: number; otherPct: number; quiet: boolean };
  /** Which attempt this was, when other processes disturbed earlier ones. */
  attempts?: number;
}

const active = new Set<autocannon.Instance>();

/** Stops every running load (used by the cleanup on Ctrl-C or a crash). */
export function stopAllLoad(): void {
  for (const instance of active) instance.stop();
  active.clear();
}

class Recorder {
  private samples = new Float64Array(1 << 16);
  private n = 0;
  ok = 0;
  failed = 0;
  errors = 0;
  readonly statusCodes: Record<string, number> = {};

  constructor(private readonly expectStatus: number) {}

  attach(instance: autocannon.Instance): void {
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      this.statusCodes[statusCode] = (this.statusCodes[statusCode] ?? 0) + 1;
      if (statusCode !== this.expectStatus) {
        this.failed += 1;
        return;
      }
      this.ok += 1;
      if (this.n === this.samples.length) {
        const bigger = new Float64Array(this.samples.length * 2);
        bigger.set(this.samples);
        this.samples = bigger;
      }
      this.samples[this.n++] = responseTime;
    });
    instance.on('reqError', () => {
      this.errors += 1;
    });
  }

  latency(): LatencySummary {
    const sorted = this.samples.slice(0, this.n).sort();
    const at = (q: number) =>
      sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
    let sum = 0;
    for (const v of sorted) sum += v;
    return {
      mean: sorted.length ? sum / sorted.length : NaN,
      p50: at(0.5),
      p90: at(0.9),
      p95: at(0.95),
      p99: at(0.99),
      max: at(1),
    };
  }
}

function options(t: Target, extra: Partial<autocannon.Options>): autocannon.Options {
  const headers: Record<string, string> = { ...(t.headers ?? {}) };
  if (t.body !== undefined) headers['content-type'] = 'application/json';
  return {
    url: `${t.baseUrl}${t.path}`,
    method: t.method,
    headers,
    body: t.body === undefined ? undefined : JSON.stringify(t.body),
    timeout: 10,
    ...extra,
    // Percentiles are computed here from every raw response time (see Recorder); with a rate set, autocannon's own
    // histogram would add synthetic samples assuming a 1 ms interval between requests, so that correction is off.
    ...(extra.overallRate ? { ignoreCoordinatedOmission: true } : {}),
  };
}

async function runInstance(opts: autocannon.Options, recorder: Recorder): Promise<autocannon.Result> {
  const instance = autocannon(opts);
  active.add(instance);
  recorder.attach(instance);
  try {
    return await instance;
  } finally {
    active.delete(instance);
  }
}

function stallMonitor(): () => { p99: number; max: number } {
  const h = monitorEventLoopDelay({ resolution: 5 });
  h.enable();
  return () => {
    h.disable();
    // The histogram includes the sampling resolution itself; report the delay beyond it.
    const ms = (ns: number) => Math.max(0, ns / 1e6 - 5);
    return { p99: ms(h.percentile(99)), max: ms(h.max) };
  };
}

/** Closed loop: `connections` connections each send the next request as soon as the previous answer arrives. */
export async function runMax(
  t: Target,
  connections: number,
  durationS: number,
  meter: CpuMeter,
  cores: number,
): Promise<RunResult> {
  const recorder = new Recorder(t.expectStatus);
  const before = meter.snapshot();
  const stall = stallMonitor();
  const started = performance.now();
  await runInstance(options(t, { connections, duration: durationS }), recorder);
  const generatorStallMs = stall();
  const wall = (performance.now() - started) / 1000;
  const after = meter.snapshot();
  return {
    target: t.name,
    mode: 'max',
    connections,
    durationS: wall,
    generatorStallMs,
    ok: recorder.ok,
    failed: recorder.failed,
    errors: recorder.errors,
    statusCodes: recorder.statusCodes,
    rps: recorder.ok / wall,
    latency: recorder.latency(),
    cpu: CpuMeter.usage(before, after, cores),
  };
}

/**
 * A fixed rate with autocannon's `overallRate`. autocannon paces a connection by sending its whole per-second quota
 * back to back at the start of each second, so one instance at 500 req/s fires bursts of hundreds of concurrent
 * requests once a second. To approximate a steady arrival rate, the rate is split over `streams` instances of one
 * connection each (`overallRate` = rate/streams), started 1000/streams ms apart: a short burst every few
 * milliseconds instead of one big one per second.
 */
export async function runFixed(
  t: Target,
  rate: number,
  durationS: number,
  meter: CpuMeter,
  cores: number,
  streams = 25,
): Promise<RunResult> {
  const k = Math.max(1, Math.min(streams, rate));
  const recorder = new Recorder(t.expectStatus);
  const before = meter.snapshot();
  const stall = stallMonitor();
  const started = performance.now();
  const runs: Promise<{ result: autocannon.Result; seconds: number }>[] = [];
  for (let i = 0; i < k; i++) {
    const share = Math.floor(rate / k) + (i < rate % k ? 1 : 0);
    runs.push(
      new Promise((resolve, reject) => {
        setTimeout(
          () => {
            const t0 = performance.now();
            runInstance(options(t, { connections: 1, overallRate: share, duration: durationS }), recorder).then(
              (result) => resolve({ result, seconds: (performance.now() - t0) / 1000 }),
              reject,
            );
          },
          (i * 1000) / k,
        );
      }),
    );
  }
  const done = await Promise.all(runs);
  const generatorStallMs = stall();
  const wall = (performance.now() - started) / 1000;
  const after = meter.snapshot();
  const seconds = done.reduce((s, d) => s + d.seconds, 0) / done.length;
  return {
    target: t.name,
    mode: 'fixed',
    connections: k,
    targetRate: rate,
    durationS: wall,
    generatorStallMs,
    ok: recorder.ok,
    failed: recorder.failed,
    errors: recorder.errors,
    statusCodes: recorder.statusCodes,
    // Each stream ran for `seconds`; their sum is the rate the server actually sustained.
    rps: recorder.ok / seconds,
    latency: recorder.latency(),
    cpu: CpuMeter.usage(before, after, cores),
  };
}
