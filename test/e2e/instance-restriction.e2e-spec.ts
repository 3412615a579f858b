import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import axios, { AxiosInstance } from 'axios';
import WebSocket from 'ws';
import { createApp } from '@/app/create-app';
import { closeGracefully } from '@/app/graceful-shutdown';
import { UPSTREAM_WEBHOOK_TOKEN_HEADER } from '@/integrations/evolution/upstream-webhook';
import { adminToken, createClient, httpClient, TestClient } from '../factories/client.factory';
import { createInstance, resellerToken, TestInstance } from '../factories/instance.factory';
import { freePort, queryDb, startTestApp, TestApp, upstreamWebhookTokenOf } from '../setup/test-app';
import { TEST_GLOBAL_KEY } from '../setup/test-env';
import { waitFor } from '../setup/wait-for';
import { startWebhookReceiver, WebhookReceiver } from '../upstream/webhook-receiver';

const BULK = '/api/v1/whatsapp/send-bulk';
const BANNED_MESSAGE =
  'WhatsApp forbade the number, which is how it reports a ban or a restriction (status 403): reconnect it by ' +
  'scanning a new QR code';

interface Tenant {
  client: TestClient;
  jwt: string;
  instance: TestInstance;
  key: { headers: { apikey: string } };
}

/**
 * The restriction pause: when the upstream reports the number logged out, banned or refused, the instance's bulks
 * pause saying why, every send surface answers 409, the tenant hears `instance.restricted`, and the instance's next
 * `open` lifts it all.
 */
describe('instance restriction', () => {
  let t: TestApp;
  let http: AxiosInstance;
  let receiver: WebhookReceiver;
  let admin: string;
  const sockets: WebSocket[] = [];

  beforeAll(async () => {
    t = await startTestApp({ WEBHOOK_ALLOWED_HOSTS: '127.0.0.1', WEBHOOK_RETRY_SCHEDULE: '300ms,300ms' });
    http = httpClient(t.url);
    receiver = await startWebhookReceiver();
    admin = await adminToken(http);
  });
  afterAll(async () => {
    for (const ws of sockets) ws.terminate();
    await receiver.close();
    await t.close();
  });

  /** A client paced at `intervalMs`, with a connected instance whose restriction and connection events reach the receiver. */
  async function tenant(intervalMs = 0): Promise<Tenant> {
    const client = await createClient(http, admin, {
      send_interval_ms: intervalMs,
      jitter_min_ms: 0,
      jitter_max_ms: 0,
      rate_limit: 10000,
    });
    const jwt = await resellerToken(http, client);
    const instance = await createInstance(http, jwt);
    const key = { headers: { apikey: client.apiKey } };
    const hook = await http.put(
      `/api/v1/whatsapp/webhook/${instance.name}`,
      { url: `${receiver.url}/${instance.name}`, events: ['INSTANCE_RESTRICTED', 'CONNECTION_UPDATE'] },
      key,
    );
    expect(hook.status).toBe(200);
    await open({ instance, key });
    return { client, jwt, instance, key };
  }

  /** The user scans the QR; resolves once the gateway has heard the instance is open. */
  async function open({ instance, key }: Pick<Tenant, 'instance' | 'key'>): Promise<void> {
    t.sim.scan(instance.name);
    await waitFor(
      async () => {
        const status = (await http.get(`/api/v1/whatsapp/status/${instance.name}`, key)).data;
        return status.state === 'open' && status.restriction === null;
      },
      5000,
      `${instance.name} to be open`,
    );
  }

  /** Resolves with the restriction once the gateway has stored it. */
  const restricted = ({ instance, key }: Pick<Tenant, 'instance' | 'key'>) =>
    waitFor(
      async () => (await http.get(`/api/v1/whatsapp/status/${instance.name}`, key)).data.restriction ?? undefined,
      5000,
      `${instance.name} to be restricted`,
    );

  const hooksOf = (instance: TestInstance, event: string) =>
    receiver.received.filter((h) => h.body?.instance === instance.name && h.body.event === event);

  const sendsTo = (name: string) =>
    t.sim.requests().filter((r) => r.path.startsWith('/message/') && r.path.endsWith(`/${name}`));

  const send = (tn: Tenant, base = http) =>
    base.post('/api/v1/whatsapp/send', { instanceName: tn.instance.name, number: '254712345678', text: 'hi' }, tn.key);

  const bulkView = async (tn: Tenant, id: string) => (await http.get(`${BULK}/${id}`, tn.key)).data;

  function listen(
    tn: Tenant,
  ): Promise<{ events: { event: string; instance: string; data: Record<string, unknown> }[] }> {
    const ws = new WebSocket(`${t.url.replace(/^http/, 'ws')}/ws`, { headers: tn.key.headers });
    sockets.push(ws);
    const events: { event: string; instance: string; data: Record<string, unknown> }[] = [];
    ws.on('message', (data: Buffer) => events.push(JSON.parse(data.toString()) as (typeof events)[number]));
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve({ events }));
      ws.once('error', reject);
    });
  }

  it('a ban pauses the running bulk with the reason, refuses every send with 409, tells the tenant, and reopening lifts it', async () => {
    const tn = await tenant(500);
    const live = await listen(tn);
    const recipients = Array.from({ length: 6 }, (_, i) => `25471240${i}123`);
    const bulk = (await http.post(BULK, { instanceName: tn.instance.name, recipients, message: 'offer' }, tn.key)).data;
    await waitFor(() => sendsTo(tn.instance.name).length >= 1, 5000, 'the first bulk send');

    t.sim.setState(tn.instance.name, 'close', { statusReason: 403 });

    const paused = await waitFor(
      async () => {
        const view = await bulkView(tn, bulk.bulk_id);
        return view.status === 'paused' ? view : undefined;
      },
      5000,
      'the bulk to pause',
    );
    expect(paused.pause_reason).toBe(
      `instance restricted: ${BANNED_MESSAGE}; the bulk resumes when the instance is connected again`,
    );
    await restricted(tn);
    const refused = await send(tn);
    expect(refused.data).toEqual({
      statusCode: 409,
      error: 'Conflict',
      code: 'INSTANCE_RESTRICTED',
      message: `Instance "${tn.instance.name}" is restricted: ${BANNED_MESSAGE}. Sends are refused until it is connected again`,
    });
    const media = await http.post(
      '/api/v1/whatsapp/send-media',
      { instanceName: tn.instance.name, number: '254712345678', mediaType: 'image', media: 'iVBORw0KGgo=' },
      tn.key,
    );
    expect(media.data).toEqual(refused.data);
    const legacy = await http.post(
      `/message/sendText/${tn.instance.name}`,
      { number: '254712345678', text: 'hi' },
      { headers: { apikey: tn.client.apiKey } },
    );
    expect([legacy.status, legacy.data]).toEqual([409, refused.data]);
    // Refused before the upstream is called and before anything is logged (the bulk's recipients go to other numbers).
    expect(sendsTo(tn.instance.name).filter((r) => (r.body as { number: string }).number === '254712345678')).toEqual(
      [],
    );
    const logged = await queryDb(
      t,
      "SELECT count(*)::int AS n FROM messages WHERE instance_id = $1 AND source <> 'bulk'",
      [tn.instance.id],
    );
    expect(logged[0]!.n).toBe(0);

    const restriction = {
      reason: 'banned',
      status_reason: 403,
      message: BANNED_MESSAGE,
      restricted_at: expect.any(String),
    };
    const status = (await http.get(`/api/v1/whatsapp/status/${tn.instance.name}`, tn.key)).data;
    expect(status).toEqual({ instance: tn.instance.name, state: 'close', restriction });
    const listed = (
      await http.get('/api/v1/whatsapp/reseller/sub-instances', { headers: { authorization: `Bearer ${tn.jwt}` } })
    ).data.instances;
    expect(listed).toEqual([expect.objectContaining({ instance_name: tn.instance.name, restriction })]);

    await waitFor(
      () => hooksOf(tn.instance, 'instance.restricted').length === 1,
      5000,
      'the instance.restricted webhook',
    );
    expect(hooksOf(tn.instance, 'instance.restricted')[0]!.body).toMatchObject({
      event: 'instance.restricted',
      instance: tn.instance.name,
      data: { state: 'close', ...restriction, restricted_at: status.restriction.restricted_at },
    });
    expect(hooksOf(tn.instance, 'instance.restricted')[0]!.headers['webhook-signature']).toMatch(/^v1,/);
    await waitFor(
      () => live.events.some((e) => e.event === 'instance.restricted' && e.data.reason === 'banned'),
      5000,
      'instance.restricted on /ws',
    );

    await open(tn);
    const done = await waitFor(
      async () => {
        const view = await bulkView(tn, bulk.bulk_id);
        return view.status === 'completed' ? view : undefined;
      },
      15000,
      'the bulk to resume and complete',
    );
    expect(done.pause_reason).toBeNull();
    expect(done.recipients.map((r: { status: string }) => r.status)).not.toContain('failed');
    expect(new Set(sendsTo(tn.instance.name).map((r) => (r.body as { number: string }).number)).size).toBe(6);
    expect((await send(tn)).status).toBe(201);
    expect(hooksOf(tn.instance, 'instance.restricted')).toHaveLength(1);
  }, 40000);

  it('a bulk sent to an instance already logged out pauses at once, and goes out once the instance is open', async () => {
    const tn = await tenant();
    t.sim.setState(tn.instance.name, 'close');
    await restricted(tn);
    const bulk = (
      await http.post(BULK, { instanceName: tn.instance.name, recipients: ['254712410001'], message: 'x' }, tn.key)
    ).data;
    const paused = await waitFor(async () => {
      const view = await bulkView(tn, bulk.bulk_id);
      return view.status === 'paused' ? view : undefined;
    });
    expect(paused.pause_reason).toMatch(/^instance restricted: WhatsApp logged the number out \(status 401\)/);
    expect(sendsTo(tn.instance.name)).toHaveLength(0);
    await open(tn);
    await waitFor(async () => (await bulkView(tn, bulk.bulk_id)).status === 'completed', 10000, 'the bulk to complete');
    expect(sendsTo(tn.instance.name)).toHaveLength(1);
  });

  it('the QR limit (refused, 428) restricts too; a close the upstream reconnects from (408) does not', async () => {
    const refused = await tenant();
    t.sim.setState(refused.instance.name, 'refused');
    expect(await restricted(refused)).toMatchObject({ reason: 'connection_refused', status_reason: 428 });
    expect((await send(refused)).data.message).toMatch(/is restricted: WhatsApp refused the connection \(status 428\)/);

    const dropped = await tenant();
    t.sim.setState(dropped.instance.name, 'close', { statusReason: 408 });
    await waitFor(
      () =>
        hooksOf(dropped.instance, 'connection.update').some(
          (h) => (h.body.data as { state: string }).state === 'close',
        ),
      5000,
      'the close to reach the tenant',
    );
    // The receiver records a restriction's event in the same request as the close: none was.
    const restrictedEvents = await queryDb(
      t,
      "SELECT count(*)::int AS n FROM webhook_deliveries WHERE instance_id = $1 AND event = 'instance.restricted'",
      [dropped.instance.id],
    );
    expect(restrictedEvents[0]!.n).toBe(0);
    const res = await send(dropped);
    expect(res.status).toBe(409);
    expect(res.data.message).toMatch(/not connected to WhatsApp; reconnect it by scanning a new QR code/);
    expect(
      (await http.get(`/api/v1/whatsapp/status/${dropped.instance.name}`, dropped.key)).data.restriction,
    ).toBeNull();
  });

  it('a repeat of the upstream’s event is one instance.restricted, and a ban after a logout is another', async () => {
    const tn = await tenant();
    const token = await upstreamWebhookTokenOf(t, tn.instance.id);
    const post = (statusReason: number, dateTime: string) =>
      http.post(
        `/webhooks/evolution/${tn.instance.name}`,
        {
          event: 'connection.update',
          instance: tn.instance.name,
          data: { instance: tn.instance.name, state: 'close', statusReason },
          date_time: dateTime,
        },
        { headers: { [UPSTREAM_WEBHOOK_TOKEN_HEADER]: token } },
      );
    // Upstream times after the instance's open: an event older than the open would be a late one, which changes nothing.
    const after = (ms: number) => new Date(Date.now() + 1000 + ms).toISOString();
    const [first, second, third] = [after(0), after(5000), after(9000)];
    for (const [statusReason, at] of [
      [401, first],
      [401, first],
      [401, second],
      [403, third],
    ] as const)
      expect((await post(statusReason, at)).status).toBe(200);
    // Each event is stored before the upstream gets its answer.
    const stored = await queryDb(
      t,
      "SELECT payload->'data'->>'reason' AS reason FROM webhook_deliveries WHERE instance_id = $1 AND event = 'instance.restricted' ORDER BY created_at",
      [tn.instance.id],
    );
    expect(stored).toEqual([{ reason: 'logged_out' }, { reason: 'banned' }]);
    await waitFor(() => hooksOf(tn.instance, 'instance.restricted').length === 2, 5000, 'two instance.restricted');
    expect(hooksOf(tn.instance, 'instance.restricted').map((h) => (h.body.data as { reason: string }).reason)).toEqual([
      'logged_out',
      'banned',
    ]);
    const [row] = await queryDb(t, 'SELECT restriction, restriction_status FROM instances WHERE id = $1', [
      tn.instance.id,
    ]);
    expect(row).toEqual({ restriction: 'banned', restriction_status: 403 });
  });

  it('a close the upstream made before the open but posted after it neither closes nor restricts the instance', async () => {
    const tn = await tenant();
    const late = await http.post(
      `/webhooks/evolution/${tn.instance.name}`,
      {
        event: 'connection.update',
        instance: tn.instance.name,
        data: { instance: tn.instance.name, state: 'close', statusReason: 401 },
        date_time: new Date(Date.now() - 60_000).toISOString(),
      },
      { headers: { [UPSTREAM_WEBHOOK_TOKEN_HEADER]: await upstreamWebhookTokenOf(t, tn.instance.id) } },
    );
    expect(late.status).toBe(200);
    const [row] = await queryDb(t, 'SELECT status, event_state, restriction FROM instances WHERE id = $1', [
      tn.instance.id,
    ]);
    expect(row).toEqual({ status: 'open', event_state: 'open', restriction: null });
    expect((await send(tn)).status).toBe(201);
    const stored = await queryDb(
      t,
      "SELECT event, payload->'data'->>'state' AS state FROM webhook_deliveries WHERE instance_id = $1 ORDER BY created_at",
      [tn.instance.id],
    );
    expect(stored.map((r) => `${r.event as string}:${r.state as string}`)).toEqual([
      'connection.update:connecting',
      'connection.update:open',
    ]);
  });

  it('a send refused with Connection Closed restricts the instance whose close event never arrived, and its bulk', async () => {
    const tn = await tenant(300);
    const recipients = Array.from({ length: 6 }, (_, i) => `25471250${i}123`);
    const bulk = (await http.post(BULK, { instanceName: tn.instance.name, recipients, message: 'offer' }, tn.key)).data;
    await waitFor(() => sendsTo(tn.instance.name).length >= 1, 5000, 'the first bulk send');
    // The upstream stops posting this instance's events, so its logout's close never reaches the gateway.
    const off = await axios.post(
      `${t.sim.url}/webhook/set/${tn.instance.name}`,
      { webhook: { enabled: false, url: 'http://127.0.0.1:9/unused' } },
      { headers: { apikey: TEST_GLOBAL_KEY }, validateStatus: () => true },
    );
    expect(off.status).toBe(201);
    t.sim.setState(tn.instance.name, 'close', { statusReason: 401 });

    // The bulk's next send is refused and it pauses; the gateway then reads the upstream's record of the instance,
    // which says why it closed.
    expect(await restricted(tn)).toMatchObject({ reason: 'logged_out', status_reason: 401 });
    const paused = await waitFor(
      async () => {
        const view = await bulkView(tn, bulk.bulk_id);
        return view.status === 'paused' && /logged the number out/.test(String(view.pause_reason)) ? view : undefined;
      },
      5000,
      'the bulk to pause for the restriction',
    );
    expect(paused.pause_reason).toMatch(/restricted/);
    const refused = await send(tn);
    expect(refused.status).toBe(409);
    expect(refused.data.code).toBe('INSTANCE_RESTRICTED');
    await waitFor(() => hooksOf(tn.instance, 'instance.restricted').length === 1, 5000, 'instance.restricted');
    const [row] = await queryDb(t, 'SELECT status, event_state FROM instances WHERE id = $1', [tn.instance.id]);
    expect(row).toEqual({ status: 'close', event_state: 'close' });
    await waitFor(
      () => hooksOf(tn.instance, 'connection.update').some((h) => (h.body.data as { state: string }).state === 'close'),
      5000,
      'the close, as the upstream’s record gives it',
    );
  });

  it('every process refuses the sends: the restriction is in Postgres, not in the process that heard it', async () => {
    const tn = await tenant();
    const port = await freePort();
    let other: NestFastifyApplication | undefined = await createApp({ ...t.env, APP_ROLE: 'api', PORT: port });
    try {
      await other.listen({ port, host: '127.0.0.1' });
      const otherHttp = httpClient(`http://127.0.0.1:${port}`);
      // The other process reads the instance (and keeps it for up to a second) before the restriction.
      expect((await send(tn, otherHttp)).status).toBe(201);
      t.sim.setState(tn.instance.name, 'close', { statusReason: 403 });
      await restricted(tn);
      await waitFor(
        async () => /is restricted: WhatsApp forbade the number/.test((await send(tn, otherHttp)).data.message),
        5000,
        'the other process to refuse the send',
      );
      await open(tn);
      await waitFor(async () => (await send(tn, otherHttp)).status === 201, 5000, 'the other process to send again');
      await closeGracefully(other);
      other = undefined;
    } finally {
      if (other) await closeGracefully(other);
    }
  });
});
