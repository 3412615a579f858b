import Redis from 'ioredis';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { Client } from 'pg';
import { ROOT } from './processes';

export interface Machine {
  date: string;
  nproc: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  os: string;
  postgres: string;
  redis: string;
  commit: string;
  /** Entries `git status --porcelain` lists under src/ and prisma/: the code measured differs from the commit. */
  uncommitted: number;
  loadAverageAtStart: number[];
}

function run(cmd: string, args: string[]): string | undefined {
  try {
    return execFileSync(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    return undefined;
  }
}

/** What the numbers were measured on. Only read-only git commands are used. */
export async function describeMachine(databaseUrl: string, redisUrl: string): Promise<Machine> {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  let postgres = 'unknown';
  try {
    postgres = (await db.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]!.v;
  } finally {
    await db.end();
  }
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true });
  let redisVersion = 'unknown';
  try {
    await redis.connect();
    redisVersion = /redis_version:(\S+)/.exec(await redis.info('server'))?.[1] ?? 'unknown';
  } finally {
    redis.disconnect();
  }
  return {
    date: new Date().toISOString(),
    nproc: Number(run('nproc', [])) || os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    os: `${os.type()} ${os.release()}`,
    postgres,
    redis: redisVersion,
    commit: run('git', ['rev-parse', '--short', 'HEAD']) ?? 'unknown',
    uncommitted: (run('git', ['status', '--porcelain', '--', 'src', 'prisma']) ?? '').split('\n').filter(Boolean)
      .length,
    loadAverageAtStart: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}
