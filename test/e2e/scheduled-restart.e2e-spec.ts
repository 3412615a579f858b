import { AxiosInstance } from 'axios';
import { ChildProcess } from 'node:child_process';
import { adminToken, createClient, httpClient } from '../factories/client.factory';
import { createInstance, resellerToken } from '../factories/instance.factory';
import { Spawned, spawnGateway, startRedis } from '../setup/processes';
import { freePort } from '../setup/test-app';
import { createTestDatabase } from '../setup/test-database';
import { rawTestEnv, TEST_GLOBAL_KEY } from '../setup/test-env';
import { waitFor } from '../setup/wait-for';
import { EvolutionSimulator, startEvolutionSimulator } from '../upstream/evolution-simulator';

/**
 * Postgres is the record of what is scheduled: the gateway killed between scheduling and the due time, with Redis
 * restarted empty meanwhile, still sends each scheduled message and bulk once when it is back.
 */
describe('scheduled sends across a restart', () => {
  let sim: EvolutionSimulator;
  let redisPort: number;
  let redis: ChildProcess;
  let db: { url: string; drop: () => Promise<void> };
  let gateway: Spawned;
  let http: AxiosInstance;
  let env: Record<string, string | undefined>;

  const startGateway = async () => {
    gateway = spawnGateway(env);
    await waitFor(async () => (await http.get('/health')).status === 200, 60000, 'the gateway to listen');
  };

  beforeAll(async () => {
    sim = await startEvolutionSimulator({ port: 0, globalKey: TEST_GLOBAL_KEY });
    redisPort = await freePort();
    redis = startRedis(redisPort);
    db = await createTestDatabase();
    const port = await freePort();
    env = rawTestEnv({
      DATABASE_URL: db.url,
      REDIS_URL: `redis://127.0.0.1:${redisPort}`,
      EVOLUTION_API_URL: sim.url,
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      PORT: String(port),
      APP_ROLE: 'all',
      LOG_LEVEL: 'warn',
    });
    http = httpClient(`http://127.0.0.1:${port}`);
    await startGateway();
  }, 120000);

  afterAll(async () => {
    await gateway?.kill();
    redis?.kill('SIGKILL');
    await sim?.close();
    await db?.drop();
  });

  it('sends a scheduled message and bulk once after the gateway was killed and Redis emptied before they were due', async () => {
    const admin = await adminToken(http);
    const client = await createClient(http, admin, { send_interval_ms: 0, jitter_min_ms: 0, jitter_max_ms: 0 });
    const instance = await createInstance(http, await resellerToken(http, client));
    sim.scan(instance.name);
    const key = { headers: { apikey: client.apiKey } };
    const sendAt = new Date(Date.now() + 3000).toISOString();
    const message = await http.post(
      '/api/v1/whatsapp/send',
      { instanceName: instance.name, number: '0712345701', text: 'after the restart', send_at: sendAt },
      key,
    );
    expect(message.status).toBe(202);
    const bulk = await http.post(
      '/api/v1/whatsapp/send-bulk',
      { instanceName: instance.name, recipients: ['0712345702', '0712345703'], message: 'bulk', send_at: sendAt },
      key,
    );
    expect(bulk.status).toBe(202);

    await gateway.kill();
    redis.kill('SIGKILL');
    await new Promise((resolve) => redis.once('exit', resolve));
    redis = startRedis(redisPort);
    const sent = () =>
      sim
        .requests()
        .filter((r) => r.path === `/message/sendText/${instance.name}`)
        .map((r) => (r.body as { number: string }).number);
    expect(sent()).toEqual([]);
    await startGateway();

    await waitFor(
      async () => {
        const r = await http.get(`/api/v1/whatsapp/send-bulk/${bulk.data.bulk_id}`, key);
        return r.data.status === 'completed' && sent().length >= 3;
      },
      30000,
      'the scheduled message and bulk to be sent',
    );
    const log = await waitFor(
      async () => {
        const r = await http.get(`/api/v1/whatsapp/messages?instance=${instance.name}`, key);
        const rows = r.data.messages as { id: string; status: string; message_id: string | null }[];
        return rows.length === 3 && rows.every((m) => m.message_id) ? rows : undefined;
      },
      15000,
      'every send to be logged with its WhatsApp id',
    );
    expect(sent().sort()).toEqual(['254712345701', '254712345702', '254712345703']);
    expect(log.find((m) => m.id === message.data.id)?.status).not.toBe('scheduled');
    expect(sim.requests().every((r) => !r.path.startsWith('/message/') || r.at.getTime() >= Date.parse(sendAt))).toBe(
      true,
    );
  }, 120000);
});
