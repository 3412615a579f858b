import { readFileSync } from 'node:fs';
import Redis from 'ioredis';
import { createTestDatabase, ensureTemplate } from '../test/setup/test-database';
import { CpuMeter } from './lib/cpu';
import { runMax } from './lib/load';
import { Cleanup } from './lib/processes';
import { createTenant, startGateway, startSimulator } from './lib/stack';
const cpu = (pid: number) => { const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' '); return (Number(f[11]) + Number(f[12])) * 10; };
(async () => {
  const cleanup = new Cleanup();
  await ensureTemplate();
  const db = await createTestDatabase();
  cleanup.add('db', db.drop);
  const sim = await startSimulator(cleanup, { statusWebhooks: true });
  const prefix = `idle-${process.pid}`;
  const gw = await startGateway(cleanup, { simUrl: sim.url, databaseUrl: db.url, redisPrefix: prefix });
  const tenant = await createTenant(gw.url, sim, db.url, 1);
  const meter = new CpuMeter(() => ({ gateway: [gw.child.pid] }));
  await runMax({ name: 'g', baseUrl: gw.url, method: 'POST', path: '/api/v1/whatsapp/send', headers: tenant.headers, body: { instanceName: tenant.instances[0]!.name, number: '254712345678', text: 'x' }, expectStatus: 201 }, 8, 5, meter, 2);
  const redis = new Redis();
  for (let i = 0; i < 10; i++) {
    const a = cpu(gw.child.pid); await new Promise((r) => setTimeout(r, 3000)); const b = cpu(gw.child.pid);
    const keys = await redis.keys(`${prefix}:*`);
    const sizes = await Promise.all(keys.filter((k) => /:(wait|delayed|failed|completed|active)$/.test(k)).map(async (k) => `${k.slice(prefix.length)}=${await redis.type(k) === 'zset' ? await redis.zcard(k) : await redis.llen(k)}`));
    console.log(`t+${(i + 1) * 3}s: ${(b - a) / 3} ms/s ${sizes.join(' ')}`);
  }
  redis.disconnect();
  await cleanup.run(); process.exit(0);
})();
