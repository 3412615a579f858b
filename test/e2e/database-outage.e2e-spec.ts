import { AxiosInstance } from 'axios';
import { adminToken, createClient, httpClient } from '../factories/client.factory';
import { createInstance, resellerToken, TestInstance } from '../factories/instance.factory';
import { RelayedDatabase, relayedDatabase } from '../setup/database-relay';
import { TcpProxy } from '../setup/tcp-proxy';
import { startTestApp, TestApp } from '../setup/test-app';
import { waitFor } from '../setup/wait-for';

/** Postgres going away under a running gateway: a relay between this app and Postgres is cut, then restored. */
describe('while the database is down', () => {
  let proxy: TcpProxy;
  let db: RelayedDatabase;
  let t: TestApp;
  let http: AxiosInstance;
  let instance: TestInstance;
  let key: { headers: { apikey: string } };

  beforeAll(async () => {
    db = await relayedDatabase();
    proxy = db.proxy;
    t = await startTestApp({ DATABASE_URL: db.relayedUrl });
    http = httpClient(t.url);
    const client = await createClient(http, await adminToken(http), {
      send_interval_ms: 0,
      jitter_min_ms: 0,
      jitter_max_ms: 0,
    });
    instance = await createInstance(http, await resellerToken(http, client));
    t.sim.scan(instance.name);
    key = { headers: { apikey: client.apiKey } };
  });
  afterAll(async () => {
    await t?.close();
    await db?.close();
  });

  const send = () =>
    http.post('/api/v1/whatsapp/send', { instanceName: instance.name, number: '254712345678', text: 'hi' }, key);

  it('answers 503 with Retry-After and a plain message, says so on /health/ready, and serves again once it is back', async () => {
    expect((await send()).status).toBe(201);
    proxy.cut();

    const refused = await send();
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('5');
    expect(refused.data).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      code: 'DATABASE_UNAVAILABLE',
      message: `The database is unavailable; try again in a few seconds (request id ${refused.headers['x-request-id']})`,
    });

    const ready = await http.get('/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.headers['retry-after']).toBe('5');
    // Only the database is down; on a starved machine another check may also miss its 800 ms, and is then named too.
    expect(ready.data.checks.database).toMatchObject({ status: 'down', error: 'the database does not answer' });
    expect(ready.data.message).toMatch(/^Not ready: (.+, )?database \(the database does not answer\)/);
    expect(JSON.stringify(ready.data)).not.toMatch(/prisma|127\.0\.0\.1|ECONNREFUSED|invocation/i);

    proxy.resume();
    await waitFor(async () => (await send()).status === 201, 10000, 'sends to work again');
    await waitFor(async () => (await http.get('/health/ready')).status === 200, 10000, 'readiness again');
  });
});
