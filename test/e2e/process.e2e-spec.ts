import axios from 'axios';
import { ChildProcess } from 'node:child_process';
import { createClient, httpClient } from '../factories/client.factory';
import { createInstance } from '../factories/instance.factory';
import { Spawned, spawnGateway, startRedis } from '../setup/processes';
import { freePort } from '../setup/test-app';
import { createTestDatabase } from '../setup/test-database';
import { deleteRedisPrefix, rawTestEnv, redisUrl, TEST_ADMIN, TEST_GLOBAL_KEY } from '../setup/test-env';
import { waitFor } from '../setup/wait-for';
import { EvolutionSimulator, startEvolutionSimulator } from '../upstream/evolution-simulator';

const http = axios.create({ validateStatus: () => true, timeout: 3000 });

interface RunningGateway {
  gateway: Spawned;
  base: string;
  db: { url: string; drop: () => Promise<void> };
  prefix: string;
}

async function bootGateway(
  simUrl: string,
  redisUrl: string,
  prefix: string,
  logLevel = 'warn',
): Promise<RunningGateway> {
  const db = await createTestDatabase();
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const gateway = spawnGateway(
    rawTestEnv({
      PORT: String(port),
      PUBLIC_URL: base,
      DATABASE_URL: db.url,
      REDIS_URL: redisUrl,
      REDIS_KEY_PREFIX: prefix,
      EVOLUTION_API_URL: simUrl,
      LOG_LEVEL: logLevel,
    }),
  );
  await waitFor(async () => (await http.get(`${base}/health`)).status === 200, 60000, 'the gateway to listen');
  return { gateway, base, db, prefix };
}

async function stopGateway(running: RunningGateway | undefined): Promise<void> {
  if (!running) return;
  if (running.gateway.child.exitCode === null) {
    running.gateway.child.kill('SIGKILL');
    await running.gateway.exited;
  }
  await running.db.drop();
  await deleteRedisPrefix(running.prefix);
}

describe('the gateway process', () => {
  it('refuses to start without DATABASE_URL, naming it in one clear message', async () => {
    const gateway = spawnGateway(rawTestEnv({ DATABASE_URL: undefined, JWT_SECRET: 'short' }));
    const code = await gateway.exited;
    expect(code).toBe(1);
    expect(gateway.output()).toContain('Invalid configuration:');
    expect(gateway.output()).toContain('DATABASE_URL: is required');
    expect(gateway.output()).toContain('JWT_SECRET: must be at least 32 characters');
    expect(gateway.output()).not.toMatch(/\n\s+at /);
  });

  describe('running against the simulator', () => {
    let sim: EvolutionSimulator;
    let redis: ChildProcess;
    let redisPort: number;
    let running: RunningGateway;
    let base: string;

    beforeAll(async () => {
      sim = await startEvolutionSimulator({ port: 0, globalKey: TEST_GLOBAL_KEY });
      redisPort = await freePort();
      redis = startRedis(redisPort);
      running = await bootGateway(sim.url, `redis://127.0.0.1:${redisPort}`, `tproc${process.pid}`);
      base = running.base;
    }, 90000);

    afterAll(async () => {
      await stopGateway(running);
      redis?.kill('SIGKILL');
      await sim?.close();
    });

    it('is ready when Postgres, Redis and the upstream answer', async () => {
      const res = await waitFor(
        async () => {
          const r = await http.get(`${base}/health/ready`);
          return r.status === 200 ? r : undefined;
        },
        10000,
        'readiness',
      );
      expect(res.data).toMatchObject({
        status: 'ok',
        checks: { database: { status: 'up' }, redis: { status: 'up' }, upstream: { status: 'up' } },
      });
    });

    it('serves the OpenAPI document and Prometheus metrics', async () => {
      const docs = await http.get(`${base}/docs-json`);
      expect(docs.status).toBe(200);
      expect(docs.data.openapi).toMatch(/^3\./);
      expect(Object.keys(docs.data.paths)).toEqual(expect.arrayContaining(['/health', '/health/ready']));
      const metrics = await http.get(`${base}/metrics`);
      expect(metrics.status).toBe(200);
      expect(metrics.data).toContain('nm_http_request_duration_seconds_bucket');
      expect(metrics.data).toContain('nm_process_cpu_seconds_total');
    });

    it('reports Redis down with 503 and keeps running, then recovers when Redis is back', async () => {
      redis.kill('SIGKILL');
      const down = await waitFor(
        async () => {
          const r = await http.get(`${base}/health/ready`);
          return r.status === 503 ? r : undefined;
        },
        10000,
        'a 503 from readiness',
      );
      expect(down.data).toMatchObject({
        statusCode: 503,
        error: 'Service Unavailable',
        checks: { redis: { status: 'down' }, database: { status: 'up' } },
      });
      expect(down.data.message).toMatch(/^Not ready: redis \(/);

      expect((await http.get(`${base}/health`)).status).toBe(200);
      expect(running.gateway.child.exitCode).toBeNull();

      redis = startRedis(redisPort);
      await waitFor(
        async () => (await http.get(`${base}/health/ready`)).status === 200,
        20000,
        'readiness after Redis restarts',
      );
    }, 40000);
  });

  describe('graceful shutdown', () => {
    let sim: EvolutionSimulator;
    let running: RunningGateway;

    beforeAll(async () => {
      sim = await startEvolutionSimulator({ port: 0, globalKey: TEST_GLOBAL_KEY });
      running = await bootGateway(sim.url, redisUrl(), `tstop${process.pid}`);
    }, 90000);

    afterAll(async () => {
      await stopGateway(running);
      await sim?.close();
    });

    it('finishes the request in flight on SIGTERM, then exits 0', async () => {
      // The upstream holds the readiness probe for 600 ms, so the request is still in flight when SIGTERM arrives. The
      // gateway's own background instance checks use the same route, so the fault covers a few calls, not only one.
      sim.addFault({ route: 'GET /instance/fetchInstances', count: 5, timeoutMs: 600 });
      const inFlight = http.get(`${running.base}/health/ready`);
      const isProbe = (r: { path: string; query: Record<string, string> }) =>
        r.path === '/instance/fetchInstances' && r.query.instanceName === '__nextmavens_health_probe__';
      await waitFor(() => sim.requests().some(isProbe), 5000, 'the probe to reach the upstream');
      running.gateway.child.kill('SIGTERM');
      const res = await inFlight;
      expect(res.status).toBe(503);
      expect(res.data.message).toMatch(/^Not ready: upstream/);
      expect(await running.gateway.exited).toBe(0);
    }, 30000);
  });

  describe('logs', () => {
    let sim: EvolutionSimulator;
    let running: RunningGateway;

    beforeAll(async () => {
      sim = await startEvolutionSimulator({ port: 0, globalKey: TEST_GLOBAL_KEY });
      running = await bootGateway(sim.url, redisUrl(), `tlogs${process.pid}`, 'trace');
    }, 90000);

    afterAll(async () => {
      await stopGateway(running);
      await sim?.close();
    });

    it('are JSON lines with request ids, and carry no password, key, token or phone number', async () => {
      const api = httpClient(running.base);
      const login = await api.post('/api/login', TEST_ADMIN, { headers: { 'x-request-id': 'trace-me-123' } });
      expect(login.headers['x-request-id']).toBe('trace-me-123');
      const token = login.data.token as string;
      const client = await createClient(api, token);
      const reseller = (await api.post('/api/v1/auth/token', null, { headers: { apikey: client.apiKey } })).data
        .token as string;
      await api.get('/api/admin/clients?number=254712345678', { headers: { authorization: `Bearer ${token}` } });
      await api.post('/api/v1/auth/token', null, { headers: { authorization: `Bearer ${reseller}` } });
      await api.post('/api/login', { username: 'admin', password: 'a-wrong-password-guess' });
      // An instance and a send: the instance key, its webhook secret, the upstream token and the text stay out too.
      const instance = await createInstance(api, reseller, { webhook_url: 'https://example.com/hook' });
      sim.scan(instance.name);
      await api.post(
        '/api/v1/whatsapp/send',
        { instanceName: instance.name, number: '0712345678', text: 'a very private message' },
        { headers: { apikey: instance.apiKey } },
      );
      await api.post(
        '/api/v1/whatsapp/send',
        { instanceName: instance.name, number: '254712340000', text: 'to nobody' },
        { headers: { apikey: client.apiKey } },
      );

      const output = await waitFor(
        () => (running.gateway.output().includes('trace-me-123') ? running.gateway.output() : undefined),
        5000,
        'log lines',
      );
      const lines = output.split('\n').filter((l) => l.trim() !== '');
      expect(lines.every((l) => l.startsWith('{'))).toBe(true);
      expect(lines.some((l) => JSON.parse(l).reqId === 'trace-me-123')).toBe(true);
      // A tenant's requests name the tenant and the instance they act on.
      const sent = lines
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((l) => l.msg === 'request completed');
      expect(sent).toContainEqual(expect.objectContaining({ clientId: client.id, instanceName: instance.name }));
      // The upstream's webhooks (a scan and two sends' worth) are routine traffic: no request line of their own.
      expect(sent.filter((l) => JSON.stringify(l.req).includes('/webhooks/evolution/'))).toEqual([]);
      expect(sent.length).toBeGreaterThan(5);
      const secrets = [
        TEST_ADMIN.password,
        'a-wrong-password-guess',
        client.apiKey,
        token,
        reseller,
        '254712345678',
        TEST_GLOBAL_KEY,
      ];
      secrets.push(
        instance.apiKey,
        instance.webhookSecret,
        sim.instance(instance.name)!.token,
        'a very private message',
        '254712340000',
      );
      for (const secret of secrets) {
        expect(output).not.toContain(secret);
      }
    });
  });
});
