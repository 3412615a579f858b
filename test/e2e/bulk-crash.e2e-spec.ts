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
 * Crash safety of bulks, with the API and the worker as separate processes (as deployed) on a Redis of the test's
 * own, so the test can SIGKILL the worker or restart Redis midway.
 */
describe('bulk crash safety', () => {
  let sim: EvolutionSimulator;
  let redisPort: number;
  let redis: ChildProcess;
  let db: { url: string; drop: () => Promise<void> };
  let api: Spawned;
  let worker: Spawned;
  let http: AxiosInstance;
  let env: Record<string, string | undefined>;

  /** Starts a worker and waits until it serves /health, so a slow start on a busy machine is not counted as sending time. */
  const startWorker = async () => {
    const port = await freePort();
    worker = spawnGateway({ ...env, APP_ROLE: 'worker', PORT: String(port) });
    const probe = httpClient(`http://127.0.0.1:${port}`);
    await waitFor(async () => (await probe.get('/health')).status === 200, 60000, 'the worker to listen');
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
      LOG_LEVEL: 'warn',
    });
    api = spawnGateway({ ...env, APP_ROLE: 'api', PORT: String(port) });
    http = httpClient(`http://127.0.0.1:${port}`);
    await waitFor(async () => (await http.get('/health')).status === 200, 60000, 'the API to listen');
    await startWorker();
  }, 180000);

  afterAll(async () => {
    await Promise.all([api?.kill(), worker?.kill()]);
    redis?.kill('SIGKILL');
    await sim?.close();
    await db?.drop();
  });

  async function startBulk(count: number): Promise<{ name: string; key: object; bulkId: string; numbers: string[] }> {
    const admin = await adminToken(http);
    const client = await createClient(http, admin, {
      send_interval_ms: 150,
      jitter_min_ms: 0,
      jitter_max_ms: 0,
      rate_limit: 100000,
    });
    const instance = await createInstance(http, await resellerToken(http, client));
    sim.scan(instance.name);
    const key = { headers: { apikey: client.apiKey } };
    const numbers = Array.from({ length: count }, (_, i) => `25471301${1000 + i}`);
    const res = await http.post(
      '/api/v1/whatsapp/send-bulk',
      { instanceName: instance.name, recipients: numbers, message: 'crash test' },
      key,
    );
    expect(res.status).toBe(202);
    return { name: instance.name, key, bulkId: res.data.bulk_id, numbers };
  }

  const sentNumbers = (name: string) =>
    sim
      .requests()
      .filter((r) => r.path === `/message/sendText/${name}`)
      .map((r) => (r.body as { number: string }).number);

  interface Logged {
    number: string;
    status: string;
    message_id: string | null;
    error: string | null;
  }

  /**
   * Every recipient is sent, and only a killed worker's last recipient may have gone twice (it left before the worker
   * could record the upstream's answer). Whatever happened to the workers, each recipient has exactly one log row,
   * and it ends with the WhatsApp id of the send that was recorded.
   */
  async function expectExactlyOnce(
    name: string,
    numbers: string[],
    key: object,
    bulkId: string,
    allowedTwice = 1,
  ): Promise<void> {
    const done = await waitFor(
      async () => {
        const res = await http.get(`/api/v1/whatsapp/send-bulk/${bulkId}?limit=200`, key);
        return res.data.status === 'completed' ? res.data : undefined;
      },
      60000,
      'the bulk to complete',
    );
    expect(done.counts).toMatchObject({ pending: 0, sending: 0, failed: 0 });
    // Status webhooks trail the last sends: wait until every row has left `queued`, which is what the log must say.
    let logged: Logged[] = [];
    const settled = await waitFor(
      async () => {
        const res = await http.get(`/api/v1/whatsapp/messages?bulk_id=${bulkId}&limit=200`, key);
        logged = res.data.messages as Logged[];
        return logged.length >= numbers.length && logged.every((m) => m.status !== 'queued');
      },
      30000,
      'every recipient to be settled in the log',
    ).catch(() => false);
    // An orphaned row never leaves `queued`: name it rather than only time out.
    if (!settled)
      expect(logged.filter((m) => m.status === 'queued').map((m) => `${m.number}:${m.status}:${m.message_id}`)).toEqual(
        [],
      );
    expect(logged.map((m) => m.number).sort()).toEqual([...numbers].sort());
    expect(
      logged
        .filter((m) => m.status === 'failed' || m.message_id === null)
        .map((m) => `${m.number}:${m.status}:${m.error}`),
    ).toEqual([]);
    // The bulk's per-recipient view and the log agree on the WhatsApp id of each recipient.
    const viewed = new Map(
      (done.recipients as { number: string; message_id: string | null }[]).map((r) => [r.number, r.message_id]),
    );
    expect(logged.filter((m) => viewed.get(m.number) !== m.message_id).map((m) => m.number)).toEqual([]);

    const sent = sentNumbers(name);
    expect(new Set(sent)).toEqual(new Set(numbers));
    const twice = numbers.filter((n) => sent.filter((s) => s === n).length > 1);
    expect(twice.length).toBeLessThanOrEqual(allowedTwice);
    expect(sent.length).toBe(numbers.length + twice.length);
  }

  it('survives a worker killed with SIGKILL midway', async () => {
    const { name, key, bulkId, numbers } = await startBulk(15);
    await waitFor(() => sentNumbers(name).length >= 5, 20000, 'five sends');
    await worker.kill();
    const atKill = sentNumbers(name).length;
    expect(atKill).toBeLessThan(15);
    await startWorker();
    await expectExactlyOnce(name, numbers, key, bulkId);
  }, 180000);

  it('hands a bulk back when its worker stops with SIGTERM midway, and the next worker sends each recipient once', async () => {
    // 40 recipients 150 ms apart outlast the worker's 5 s shutdown deadline: exiting 0 means it stopped midway.
    const { name, key, bulkId, numbers } = await startBulk(40);
    await waitFor(() => sentNumbers(name).length >= 5, 20000, 'five sends');
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    const atStop = sentNumbers(name).length;
    expect(atStop).toBeLessThan(40);
    const stopped = await http.get(`/api/v1/whatsapp/send-bulk/${bulkId}`, key);
    expect(stopped.data).toMatchObject({ status: 'running', counts: expect.objectContaining({ sending: 0 }) });
    await startWorker();
    await expectExactlyOnce(name, numbers, key, bulkId, 0);
  }, 180000);

  it('survives Redis restarting empty midway', async () => {
    const { name, key, bulkId, numbers } = await startBulk(15);
    await waitFor(() => sentNumbers(name).length >= 5, 20000, 'five sends');
    redis.kill('SIGKILL');
    await new Promise((resolve) => redis.once('exit', resolve));
    redis = startRedis(redisPort);
    await expectExactlyOnce(name, numbers, key, bulkId);
  }, 180000);
});
