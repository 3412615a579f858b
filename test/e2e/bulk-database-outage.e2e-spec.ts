import { AxiosInstance } from 'axios';
import { adminToken, createClient, httpClient } from '../factories/client.factory';
import { createInstance, resellerToken } from '../factories/instance.factory';
import { RelayedDatabase, relayedDatabase } from '../setup/database-relay';
import { TcpProxy } from '../setup/tcp-proxy';
import { queryDb, startTestApp, TestApp } from '../setup/test-app';
import { waitFor } from '../setup/wait-for';

const BULK = '/api/v1/whatsapp/send-bulk';

/**
 * Postgres goes away mid-bulk (a relay between the app and Postgres is cut, then restored) while the upstream is
 * accepting a recipient: the process holds what it learnt and writes it once Postgres is back, so the outage costs
 * no second send, and the status webhooks the upstream posted meanwhile (answered 503) arrive again and are applied.
 */
describe('a database outage mid-bulk', () => {
  let proxy: TcpProxy;
  let db: RelayedDatabase;
  let t: TestApp;
  let http: AxiosInstance;

  beforeAll(async () => {
    db = await relayedDatabase();
    proxy = db.proxy;
    // The upstream posts a failed webhook again 300 ms later, then 600 ms, … (the real server starts at 5 s).
    t = await startTestApp({ DATABASE_URL: db.relayedUrl }, { webhookRetryDelayMs: 300 });
    http = httpClient(t.url);
  });
  afterAll(async () => {
    proxy?.resume();
    await t?.close();
    await db?.close();
  });

  /** Read past the relay, so the test sees the rows while the app cannot. */
  const rows = (sql: string, params: unknown[]) => queryDb({ env: { ...t.env, DATABASE_URL: db.url } }, sql, params);

  it('sends every recipient once and applies the statuses posted during the outage', async () => {
    const admin = await adminToken(http);
    const client = await createClient(http, admin, {
      send_interval_ms: 0,
      jitter_min_ms: 0,
      jitter_max_ms: 0,
      rate_limit: 10000,
    });
    const instance = await createInstance(http, await resellerToken(http, client));
    t.sim.scan(instance.name);
    const key = { headers: { apikey: client.apiKey } };
    const sendPath = `/message/sendText/${instance.name}`;
    const sends = () => t.sim.requests().filter((r) => r.path === sendPath);
    // The first recipient's send is in flight long enough to cut Postgres before the upstream answers.
    t.sim.addFault({ route: `POST ${sendPath}`, count: 1, delayMs: 1500 });

    const numbers = ['254712410001', '254712410002', '254712410003'];
    const { data } = await http.post(
      BULK,
      { instanceName: instance.name, recipients: numbers, message: 'outage' },
      key,
    );
    await waitFor(() => sends().length >= 1, 5000, 'the first send to be in flight');
    proxy.cut();
    // The upstream accepts it and posts send.message and the acks, which the gateway cannot store yet (503).
    await waitFor(
      () =>
        t.sim
          .webhookDeliveries()
          .some((d) => d.instance === instance.name && d.body.event === 'messages.update' && d.statusCode === 503),
      10000,
      'a status webhook refused during the outage',
    );
    proxy.resume();

    await waitFor(
      async () => {
        const [bulk] = await rows('SELECT status FROM bulk_jobs WHERE id = $1', [data.bulk_id]);
        return bulk?.status === 'completed';
      },
      30000,
      'the bulk to complete',
    );
    expect(sends().map((r) => (r.body as { number: string }).number)).toEqual(numbers);
    const logged = await rows(
      `SELECT m.number, m.status, m.upstream_message_id FROM bulk_recipients r JOIN messages m ON m.id = r.message_id
       WHERE r.bulk_id = $1 ORDER BY r.position`,
      [data.bulk_id],
    );
    expect(logged.map((m) => m.number)).toEqual(numbers);
    expect(logged.every((m) => typeof m.upstream_message_id === 'string')).toBe(true);
    expect(await rows('SELECT count(*)::int AS n FROM messages WHERE bulk_id = $1', [data.bulk_id])).toEqual([
      { n: 3 },
    ]);
    // The first recipient's statuses were refused during the outage; retried by the upstream, they land after it.
    await waitFor(
      async () => {
        const [first] = await rows('SELECT status FROM messages WHERE bulk_id = $1 AND number = $2', [
          data.bulk_id,
          numbers[0],
        ]);
        return first?.status === 'read';
      },
      15000,
      'the first message to read "read"',
    );
  }, 60000);
});
