import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/**
 * Who burned the CPU during a run, from /proc (Linux only; elsewhere every figure is reported as unknown). On a
 * 2-core machine the load generator, the simulator, Postgres and Redis share the cores with the server under test,
 * so these shares are what explain a throughput figure.
 */
let ticksPerSecond: number | undefined;
function hz(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** utime+stime of one process in seconds, or undefined when it is gone. */
function processSeconds(pid: number): { comm: string; seconds: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const fields = stat.slice(close + 2).split(' ');
    // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
    return { comm, seconds: (Number(fields[11]) + Number(fields[12])) / hz() };
  } catch {
    return undefined;
  }
}

/** Busy, I/O-wait and total jiffies of the whole machine (first line of /proc/stat). */
function machineTicks(): { busy: number; iowait: number; total: number } | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const total = v.reduce((a, b) => a + b, 0);
    const idle = (v[3] ?? 0) + (v[4] ?? 0);
    return { busy: total - idle, iowait: v[4] ?? 0, total };
  } catch {
    return undefined;
  }
}

export interface CpuSnapshot {
  at: number;
  /** group → pid → seconds */
  groups: Record<string, Map<number, number>>;
  self: number;
  machine?: { busy: number; iowait: number; total: number };
}

/** Groups: named children by pid, plus every `postgres` and `redis-server` process on the machine. */
export class CpuMeter {
  constructor(private readonly named: () => Record<string, number[]>) {}

  snapshot(): CpuSnapshot {
    const groups: Record<string, Map<number, number>> = { postgres: new Map(), redis: new Map() };
    for (const [name, pids] of Object.entries(this.named())) {
      const m = (groups[name] = new Map());
      for (const pid of pids) {
        const s = processSeconds(pid);
        if (s) m.set(pid, s.seconds);
      }
    }
    try {
      for (const entry of readdirSync('/proc')) {
        if (!/^\d+$/.test(entry)) continue;
        const s = processSeconds(Number(entry));
        if (!s) continue;
        if (s.comm === 'postgres') groups.postgres!.set(Number(entry), s.seconds);
        else if (s.comm === 'redis-server') groups.redis!.set(Number(entry), s.seconds);
      }
    } catch {
      // not Linux
    }
    const self = process.cpuUsage();
    return { at: performance.now(), groups, self: (self.user + self.system) / 1e6, machine: machineTicks() };
  }

  /**
   * Waits (at most `maxWaitMs`) for a second in which processes other than the benchmark's own used less than
   * `maxOtherPct` of one core, so a measurement does not start while, say, a test suite is compiling next to it.
   * Returns how long it waited and how busy the rest of the machine was in the last second looked at.
   */
  async waitForQuiet(
    cores: number,
    maxOtherPct = 25,
    maxWaitMs = 60000,
  ): Promise<{ waitedMs: number; otherPct: number; quiet: boolean }> {
    const t0 = performance.now();
    for (;;) {
      const a = this.snapshot();
      await new Promise((r) => setTimeout(r, 1000));
      const other = CpuMeter.usage(a, this.snapshot(), cores)['everything else'];
      if (other === undefined) return { waitedMs: 0, otherPct: NaN, quiet: true };
      const waitedMs = performance.now() - t0;
      if (other < maxOtherPct) return { waitedMs, otherPct: other, quiet: true };
      if (waitedMs > maxWaitMs) return { waitedMs, otherPct: other, quiet: false };
    }
  }

  /**
   * Percent of one core per group between two snapshots (100 = one core busy). A process that started during the
   * window counts from zero; one that ended inside it is lost (the warm-up keeps pools stable, so this is rare).
   */
  static usage(a: CpuSnapshot, b: CpuSnapshot, cores: number): Record<string, number> {
    const wall = (b.at - a.at) / 1000;
    const out: Record<string, number> = {};
    let known = 0;
    for (const [group, after] of Object.entries(b.groups)) {
      const before = a.groups[group] ?? new Map<number, number>();
      let sum = 0;
      for (const [pid, s] of after) sum += s - (before.get(pid) ?? 0);
      out[group] = (sum / wall) * 100;
      known += sum;
    }
    const selfSeconds = b.self - a.self;
    out['load generator'] = (selfSeconds / wall) * 100;
    known += selfSeconds;
    if (a.machine && b.machine && b.machine.total > a.machine.total) {
      const busyShare = (b.machine.busy - a.machine.busy) / (b.machine.total - a.machine.total);
      out['machine busy'] = busyShare * cores * 100;
      out['io wait'] = ((b.machine.iowait - a.machine.iowait) / (b.machine.total - a.machine.total)) * cores * 100;
      out['everything else'] = Math.max(0, busyShare * cores * 100 - (known / wall) * 100);
    }
    return out;
  }
}
