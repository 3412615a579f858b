/**
 * What Postgres spends on each statement of a send's log, as MessageRepository runs them (the same SQL, as named
 * prepared statements): the log row with its rollups, the upstream id, and the three status changes, one statement
 * each as they arrive at a steady rate. Measured twice, on a connection left to choose its plans (plan_cache_mode auto)
 * and on one that plans each statement once, as the gateway's hot pool does (force_generic_plan). CPU is the
 * connection's backend process, read from /proc, per statement.
 *
 * Run: npx ts-node -r tsconfig-paths/register bench/status-statement.ts [-- --messages 2000]
 */
import { readFileSync } from 'node:fs';
import { Client } from 'pg';
import { PrismaService } from '@/database/prisma.service';
import { MessageRepository, UpstreamStatus } from '@/modules/messages/message.repository';
import { createTestDatabase, ensureTemplate } from '../test/setup/test-database';
import { Cleanup, runMain } from './lib/processes';

const STEPS = ['create', 'accept', 'sent', 'delivered', 'read'] as const;

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

/** CPU milliseconds a process has used (user + system), from /proc. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/** The repository over one connection: its statements run as the gateway's `rows()` runs them. */
function repositoryOn(client: Client): MessageRepository {
  const names = new Map<string, string>();
  const rows = async (text: string, values: unknown[] = []) => {
    if (!names.has(text)) names.set(text, `s${names.size}`);
    return (await client.query({ name: names.get(text), text, values })).rows;
  };
  return new MessageRepository({ rows } as unknown as PrismaService);
}

async function measure(url: string, planCacheMode: string, messages: number): Promise<Record<string, number>> {
  const client = new Client({ connectionString: url, options: `-c plan_cache_mode=${planCacheMode}` });
  await client.connect();
  try {
    const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    const [{ id: clientId }] = (
      await client.query<{ id: number }>("INSERT INTO clients (name, updated_at) VALUES ('bench', now()) RETURNING id")
    ).rows as [{ id: number }];
    const [{ id: instanceId }] = (
      await client.query<{ id: string }>(
        `INSERT INTO instances (id, client_id, name, token_encrypted, webhook_secret_encrypted, updated_at)
         VALUES (gen_random_uuid(), $1, $2, 'x', 'x', now()) RETURNING id`,
        [clientId, `bench-${planCacheMode}`],
      )
    ).rows as [{ id: string }];
    const repository = repositoryOn(client);
    const ids: bigint[] = [];
    const perStatement: Record<string, number> = {};
    for (const step of STEPS) {
      const before = cpuMs(pid);
      for (let i = 0; i < messages; i++) {
        if (step === 'create') {
          const row = await repository.createForClient(clientId, {
            instanceId,
            source: 'api',
            number: '254700000000',
            messageType: 'text',
          });
          ids.push(row.id);
        } else if (step === 'accept') {
          await repository.markAcceptedForClient(clientId, ids[i]!, `wa-${ids[i]}`);
        } else {
          const status: UpstreamStatus = { instanceId, upstreamMessageId: `wa-${ids[i]}`, status: step };
          const [outcome] = await repository.applyUpstreamStatusesForSystem([status]);
          if (outcome !== 'applied') throw new Error(`status ${step} of message ${ids[i]} was ${outcome}`);
        }
      }
      perStatement[step] = (cpuMs(pid) - before) / messages;
    }
    return perStatement;
  } finally {
    await client.end();
  }
}

async function main(): Promise<void> {
  const messages = option('messages', 2000);
  const cleanup = new Cleanup();
  cleanup.installSignalHandlers();
  try {
    await ensureTemplate();
    const db = await createTestDatabase();
    cleanup.add('drop the benchmark database', db.drop);
    const log = (line: string) => process.stdout.write(`${line}\n`);
    log(`Postgres CPU ms per statement, ${messages} messages each (backend process, /proc):`);
    log(`| plan_cache_mode | ${STEPS.join(' | ')} |`);
    for (const mode of ['auto', 'force_generic_plan']) {
      const result = await measure(db.url, mode, messages);
      log(`| ${mode} | ${STEPS.map((s) => result[s]!.toFixed(3)).join(' | ')} |`);
    }
  } finally {
    await cleanup.run();
  }
}

runMain(main);
