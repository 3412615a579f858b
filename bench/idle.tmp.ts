import { readFileSync } from 'node:fs';
import { createTestDatabase, ensureTemplate } from '../test/setup/test-database';
import { Cleanup } from './lib/processes';
import { startGateway, startSimulator } from './lib/stack';
const cpu = (pid: number) => { const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' '); return (Number(f[11]) + Number(f[12])) * 10; };
const threads = (pid: number) => readFileSync(`/proc/${pid}/status`, 'utf8').match(/Threads:\s+(\d+)/)![1];
(async () => {
  const cleanup = new Cleanup();
  await ensureTemplate();
  const db = await createTestDatabase();
  cleanup.add('db', db.drop);
  const sim = await startSimulator(cleanup);
  const gw = await startGateway(cleanup, { simUrl: sim.url, databaseUrl: db.url, redisPrefix: `idle-${process.pid}` });
  for (let i = 0; i < 4; i++) {
    const a = cpu(gw.child.pid); await new Promise((r) => setTimeout(r, 5000)); const b = cpu(gw.child.pid);
    console.log(`idle window ${i}: ${(b - a) / 5} ms/s, threads ${threads(gw.child.pid)}`);
  }
  await cleanup.run(); process.exit(0);
})();
