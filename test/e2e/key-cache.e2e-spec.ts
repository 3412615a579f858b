import { AxiosInstance } from 'axios';
import { setTimeout as sleep } from 'node:timers/promises';
import { TENANT_CACHE_TTL_MS } from '@/database/tenant-read-cache';
import { adminToken, createClient, httpClient } from '../factories/client.factory';
import { createInstance, resellerToken } from '../factories/instance.factory';
import { Spawned, spawnGateway } from '../setup/processes';
import { freePort, startTestApp, TestApp } from '../setup/test-app';
import { rawTestEnv } from '../setup/test-env';
import { waitFor } from '../setup/wait-for';

/**
 * Keys and instances are cached per process for at most TENANT_CACHE_TTL_MS. A change made through one process must
 * hold on another by then: a second gateway process on the same database and Redis, whose cache is warm.
 */
describe('key and instance cache across processes', () => {
  let t: TestApp;
  let other: Spawned;
  let a: AxiosInstance;
  let b: AxiosInstance;
  let admin: string;

  beforeAll(async () => {
    t = await startTestApp();
    const port = await freePort();
    other = spawnGateway(
      rawTestEnv({
        DATABASE_URL: t.env.DATABASE_URL,
        REDIS_URL: t.env.REDIS_URL,
        REDIS_KEY_PREFIX: t.env.REDIS_KEY_PREFIX,
        EVOLUTION_API_URL: t.sim.url,
        PUBLIC_URL: t.url,
        APP_ROLE: 'api',
        PORT: String(port),
        LOG_LEVEL: 'warn',
      }),
    );
    a = httpClient(t.url);
    b = httpClient(`http://127.0.0.1:${port}`);
    await waitFor(async () => (await b.get('/health')).status === 200, 60000, 'the second process to listen');
    admin = await adminToken(a);
  }, 90000);
  afterAll(async () => {
    await other?.kill();
    await t?.close();
  });

  /** Uses the key on the second process until it has a cached copy, then runs `change` on the first. */
  async function changedElsewhere(apiKey: string, change: () => Promise<unknown>): Promise<void> {
    for (let i = 0; i < 3; i++)
      expect((await b.post('/api/v1/auth/token', null, { headers: { apikey: apiKey } })).status).toBe(200);
    await change();
    // Anything the second process cached was read before the change committed, so it is gone by now.
    await sleep(TENANT_CACHE_TTL_MS);
  }

  it('a deactivated client is refused by every process within the cache lifetime', async () => {
    const client = await createClient(a, admin);
    await changedElsewhere(client.apiKey, () =>
      a.patch(`/api/admin/clients/${client.id}`, { active: false }, { headers: { authorization: `Bearer ${admin}` } }),
    );
    const res = await b.post('/api/v1/auth/token', null, { headers: { apikey: client.apiKey } });
    expect(res.data).toMatchObject({ statusCode: 403, message: expect.stringMatching(/deactivated/) });
  });

  it('a key rotated without grace stops working on every process within the cache lifetime; the new one works at once', async () => {
    const client = await createClient(a, admin);
    let fresh = '';
    await changedElsewhere(client.apiKey, async () => {
      fresh = (
        await a.post(
          `/api/admin/clients/${client.id}/rotate-key`,
          {},
          { headers: { authorization: `Bearer ${admin}` } },
        )
      ).data.api_key;
      expect((await b.post('/api/v1/auth/token', null, { headers: { apikey: fresh } })).status).toBe(200);
    });
    expect((await b.post('/api/v1/auth/token', null, { headers: { apikey: client.apiKey } })).status).toBe(403);
  });

  it('a deleted instance cannot be sent to from any process within the cache lifetime', async () => {
    const client = await createClient(a, admin);
    const jwt = await resellerToken(a, client);
    const instance = await createInstance(a, jwt);
    t.sim.scan(instance.name);
    const send = () =>
      b.post(
        '/api/v1/whatsapp/send',
        { instanceName: instance.name, number: '254712345678', text: 'hi' },
        { headers: { apikey: client.apiKey } },
      );
    expect((await send()).status).toBe(201);
    expect(
      (
        await a.delete(`/api/v1/whatsapp/reseller/sub-instances/${instance.id}`, {
          headers: { authorization: `Bearer ${jwt}` },
        })
      ).status,
    ).toBe(204);
    await sleep(TENANT_CACHE_TTL_MS);
    expect((await send()).status).toBe(404);
  });
});
