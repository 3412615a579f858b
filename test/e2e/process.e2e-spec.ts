import axios from 'axios';
import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { EvolutionSimulator, startEvolutionSimulator } from '../upstream/evolution-simulator';
import { freePort } from '../setup/test-app';
import { createTestDatabase } from '../setup/test-database';
import { deleteRedisPrefix, rawTestEnv, TEST_GLOBAL_KEY } from '../setup/test-env';
import { waitFor } from '../setup/wait-for';

const ROOT = path.resolve(__dirname, '..', '..');
const http = axios.create({ validateStatus: () => true, timeout: 3000 });

interface Spawned {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** Runs src/main.ts as its own process (TypeScript compiled on the fly by swc), as an operator would run the build. */
function spawnGateway(env: Record<string, string | undefined>): Spawned {
  const child = spawn(process.execPath, ['-r', 'ts-node/register', '-r', 'tsconfig-paths/register', 'src/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, TS_NODE_SWC: 'true', ...env } as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

function startRedis(port: number): ChildProcess {
  return spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
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
    let db: { url: string; drop: () => Promise<void> };
    let gateway: Spawned;
    let base: string;
    const prefix = `tproc${process.pid}`;

    beforeAll(async () => {
      sim = await startEvolutionSimulator({ port: 0, globalKey: TEST_GLOBAL_KEY });
      redisPort = await freePort();
      redis = startRedis(redisPort);
      db = await createTestDatabase();
      const port = await freePort();
      base = `http://127.0.0.1:${port}`;
      gateway = spawnGateway(
        rawTestEnv({
          PORT: String(port),
          PUBLIC_URL: base,
          DATABASE_URL: db.url,
          REDIS_URL: `redis://127.0.0.1:${redisPort}`,
          REDIS_KEY_PREFIX: prefix,
          EVOLUTION_API_URL: sim.url,
          LOG_LEVEL: 'warn',
        }),
      );
      await waitFor(async () => (await http.get(`${base}/health`)).status === 200, 60000, 'the gateway to listen');
    }, 90000);

    afterAll(async () => {
      if (gateway?.child.exitCode === null) {
        gateway.child.kill('SIGKILL');
        await gateway.exited;
      }
      redis?.kill('SIGKILL');
      await sim?.close();
      await db?.drop();
      await deleteRedisPrefix(prefix);
    });

    it('is ready when Postgres, Redis and the upstream answer', async () => {
      const res = await waitFor(async () => {
        const r = await http.get(`${base}/health/ready`);
        return r.status === 200 ? r : undefined;
      }, 10000, 'readiness');
      expect(res.data).toMatchObject({ status: 'ok', checks: { database: { status: 'up' }, redis: { status: 'up' }, upstream: { status: 'up' } } });
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
      const down = await waitFor(async () => {
        const r = await http.get(`${base}/health/ready`);
        return r.status === 503 ? r : undefined;
      }, 10000, 'a 503 from readiness');
      expect(down.data).toMatchObject({ statusCode: 503, error: 'Service Unavailable', checks: { redis: { status: 'down' }, database: { status: 'up' } } });
      expect(down.data.message).toMatch(/^Not ready: redis \(/);

      expect((await http.get(`${base}/health`)).status).toBe(200);
      expect(gateway.child.exitCode).toBeNull();

      redis = startRedis(redisPort);
      await waitFor(async () => (await http.get(`${base}/health/ready`)).status === 200, 20000, 'readiness after Redis restarts');
    }, 40000);

    it('exits cleanly on SIGTERM', async () => {
      gateway.child.kill('SIGTERM');
      expect(await gateway.exited).toBe(0);
    }, 30000);
  });
});
