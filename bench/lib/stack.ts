import axios, { AxiosInstance } from 'axios';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { adminToken, createClient, httpClient, TestClient } from '../../test/factories/client.factory';
import { createInstance, resellerToken, TestInstance } from '../../test/factories/instance.factory';
import { freePort } from '../../test/setup/test-app';
import { rawTestEnv, redisUrl, TEST_GLOBAL_KEY } from '../../test/setup/test-env';
import { Child, Cleanup, spawnTs, waitUntil } from './processes';

const probe = axios.create({ validateStatus: () => true, timeout: 3000 });

export interface Simulator {
  child: Child;
  url: string;
  control: AxiosInstance;
}

/**
 * The Evolution API simulator in its own process (`npm run upstream:sim`'s entry point), driven through its /__sim
 * control routes. Status webhooks are switched off (`acks: []`) unless asked for: a send then costs the gateway one
 * upstream call and the one `send.message` webhook the real upstream also posts for every send.
 */
export async function startSimulator(cleanup: Cleanup, opts: { statusWebhooks?: boolean } = {}): Promise<Simulator> {
  const port = await freePort();
  const child = spawnTs('simulator', 'test/upstream/main.ts', {
    SIM_PORT: String(port),
    SIM_HOST: '127.0.0.1',
    EVOLUTION_API_KEY: TEST_GLOBAL_KEY,
  });
  cleanup.add('stop the simulator', () => child.stop());
  const url = `http://127.0.0.1:${port}`;
  const control = axios.create({
    baseURL: `${url}/__sim`,
    headers: { apikey: TEST_GLOBAL_KEY },
    validateStatus: () => true,
    timeout: 10000,
  });
  await waitUntil(
    'the simulator to listen',
    60000,
    async () => (await control.get('/instances')).status === 200,
    child,
  );
  if (opts.statusWebhooks) return { child, url, control };
  const acks = await control.post('/acks', { statuses: [] });
  if (acks.status !== 200)
    throw new Error(`could not switch status webhooks off: ${acks.status} ${JSON.stringify(acks.data)}`);
  return { child, url, control };
}

/** Connects an instance on the simulator ("the user scanned the QR"). */
export async function scan(sim: Simulator, name: string): Promise<void> {
  const res = await sim.control.post(`/instances/${encodeURIComponent(name)}/scan`, {});
  if (res.status !== 200) throw new Error(`scan of ${name} failed: ${res.status} ${JSON.stringify(res.data)}`);
}

/** An instance made directly on the simulator (no webhook), for the bare proxy. */
export async function createBareInstance(sim: Simulator): Promise<{ name: string; token: string }> {
  const name = `bench-bare-${process.pid}`;
  const token = `BENCH-${randomBytes(8).toString('hex').toUpperCase()}`;
  const res = await probe.post(
    `${sim.url}/instance/create`,
    { instanceName: name, integration: 'WHATSAPP-BAILEYS', token, qrcode: false },
    { headers: { apikey: TEST_GLOBAL_KEY } },
  );
  if (res.status !== 201) throw new Error(`bare instance creation failed: ${res.status} ${JSON.stringify(res.data)}`);
  await scan(sim, name);
  return { name, token };
}

export interface Gateway {
  child: Child;
  url: string;
}

/**
 * The gateway as an operator runs it: `src/main.ts` in its own process (API and worker, APP_ROLE=all), on the
 * benchmark's database and Redis prefix, LOG_LEVEL=warn so request logging does not run.
 */
export async function startGateway(
  cleanup: Cleanup,
  opts: {
    simUrl: string;
    databaseUrl: string;
    redisPrefix: string;
    redisUrl?: string;
    nodeArgs?: string[];
    name?: string;
    port?: number;
    /** Run the build (dist/main.js, after `npm run build`) instead of compiling src/main.ts on load. */
    built?: boolean;
  },
): Promise<Gateway> {
  const port = opts.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const env = rawTestEnv({
    PORT: String(port),
    PUBLIC_URL: url,
    DATABASE_URL: opts.databaseUrl,
    REDIS_URL: opts.redisUrl ?? redisUrl(),
    REDIS_KEY_PREFIX: opts.redisPrefix,
    EVOLUTION_API_URL: opts.simUrl,
    LOG_LEVEL: 'warn',
  });
  const child = spawnTs(opts.name ?? 'gateway', opts.built ? 'dist/main.js' : 'src/main.ts', env, opts.nodeArgs);
  cleanup.add(`stop the ${child.name}`, () => child.stop());
  await waitUntil(
    `the ${child.name} to be ready`,
    120000,
    async () => (await probe.get(`${url}/health/ready`)).status === 200,
    child,
  );
  return { child, url };
}

/** A bare proxy in its own process: Fastify + axios (bench/bare-proxy.ts) or Node's http (bench/bare-http-proxy.ts). */
export async function startBareProxy(
  cleanup: Cleanup,
  simUrl: string,
  tokens: Record<string, string>,
  entry = 'bench/bare-proxy.ts',
): Promise<{ child: Child; url: string }> {
  const port = await freePort();
  const child = spawnTs('bare proxy', entry, {
    PORT: String(port),
    BARE_UPSTREAM_URL: simUrl,
    BARE_TOKENS: JSON.stringify(tokens),
  });
  cleanup.add('stop the bare proxy', () => child.stop());
  const url = `http://127.0.0.1:${port}`;
  await waitUntil(
    'the bare proxy to listen',
    60000,
    async () => (await probe.get(`${url}/health`)).status === 200,
    child,
  );
  return { child, url };
}

export interface Tenant {
  client: TestClient;
  instances: TestInstance[];
  /** Headers that authenticate as the client (its API key). */
  headers: Record<string, string>;
}

/**
 * A client made through the admin API with pacing off, and its instances made through the reseller API and
 * connected. The admin API caps `rate_limit` and `daily_cap` at 100 000, so the higher values that keep limits out of
 * the way at full load are then written to this benchmark database directly.
 */
export async function createTenant(
  gatewayUrl: string,
  sim: Simulator,
  databaseUrl: string,
  instances: number,
): Promise<Tenant> {
  const http = httpClient(gatewayUrl);
  const admin = await adminToken(http);
  const client = await createClient(http, admin, {
    rate_limit: 100000,
    daily_cap: 100000,
    send_interval_ms: 0,
    jitter_min_ms: 0,
    jitter_max_ms: 0,
  });
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    await db.query('UPDATE clients SET rate_limit = 1000000, daily_cap = 100000000 WHERE id = $1', [client.id]);
  } finally {
    await db.end();
  }
  const jwt = await resellerToken(http, client);
  const made: TestInstance[] = [];
  for (let i = 0; i < instances; i++) {
    const instance = await createInstance(http, jwt);
    await scan(sim, instance.name);
    made.push(instance);
  }
  // The scan's connection.update webhook reaches the gateway asynchronously; wait until it is recorded.
  await waitUntil('the instances to be open in the gateway', 20000, async () => {
    const db2 = new Client({ connectionString: databaseUrl });
    await db2.connect();
    try {
      const res = await db2.query<{ n: string }>(
        "SELECT count(*)::text AS n FROM instances WHERE client_id = $1 AND status = 'open'",
        [client.id],
      );
      return Number(res.rows[0]!.n) === instances;
    } finally {
      await db2.end();
    }
  });
  return { client, instances: made, headers: { apikey: client.apiKey } };
}
