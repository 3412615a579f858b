import { ModulesContainer } from '@nestjs/core';
import { AxiosInstance } from 'axios';
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import { RedisService } from '@/common/redis/redis.service';
import { BulkProcessor } from '@/modules/bulk/bulk.processor';
import { LIVE_EVENTS_CHANNEL } from '@/modules/events/live-event';
import { LiveEventPublisher } from '@/modules/events/live-event-publisher.service';
import { adminToken, createClient, httpClient, TestClient } from '../factories/client.factory';
import { createInstance, resellerToken, TestInstance } from '../factories/instance.factory';
import { Spawned, spawnGateway } from '../setup/processes';
import { freePort, startTestApp, TestApp } from '../setup/test-app';
import { rawTestEnv } from '../setup/test-env';
import { waitFor } from '../setup/wait-for';

interface LiveEvent {
  event: string;
  instance: string;
  data: Record<string, unknown>;
  date_time: string;
}

interface Live {
  ws: WebSocket;
  events: LiveEvent[];
  closed: Promise<{ code: number; reason: string }>;
}

interface Refusal {
  status: number;
  body: unknown;
}

/** Unsent bytes a socket of the main app may have waiting: small, so the slow-consumer test fills it quickly. */
const MAX_BUFFERED_BYTES = 64 * 1024;

/**
 * `/ws`: each way to authenticate, what each credential sees (its tenant's instances only), revocation, bulk progress,
 * fan-out from the process that handled an event to a socket on another process (an API process's webhook, a worker's
 * bulk), and the keep-alive and the slow-consumer drop on real sockets.
 */
describe('live events over /ws', () => {
  let t: TestApp;
  let http: AxiosInstance;
  let admin: string;
  const opened: WebSocket[] = [];

  beforeAll(async () => {
    t = await startTestApp({ WS_MAX_BUFFERED_BYTES: String(MAX_BUFFERED_BYTES) });
    http = httpClient(t.url);
    admin = await adminToken(http);
  }, 60000);
  afterAll(async () => {
    for (const ws of opened) ws.terminate();
    await t?.close();
  });

  const wsUrl = (base: string, query = '') => `${base.replace(/^http/, 'ws')}/ws${query}`;

  /** Opens a socket and resolves once it is open, collecting every event it receives. */
  function connect(headers: Record<string, string>, query = '', base = t.url): Promise<Live> {
    const ws = new WebSocket(wsUrl(base, query), { headers });
    opened.push(ws);
    const events: LiveEvent[] = [];
    ws.on('message', (data: Buffer) => events.push(JSON.parse(data.toString()) as LiveEvent));
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      ws.once('close', (code: number, reason: Buffer) => resolve({ code, reason: reason.toString() })),
    );
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve({ ws, events, closed }));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
      // Rejects before the open; later errors (a cut connection) show as the close the tests assert on.
      ws.on('error', reject);
    });
  }

  /** An upgrade that must be refused: its HTTP status and JSON body. */
  function refused(headers: Record<string, string>, query = ''): Promise<Refusal> {
    const ws = new WebSocket(wsUrl(t.url, query), { headers });
    opened.push(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => reject(new Error('the upgrade was accepted')));
      ws.once('unexpected-response', (_req, res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as unknown }));
      });
      ws.once('error', () => undefined);
    });
  }

  async function tenant(): Promise<{ client: TestClient; jwt: string; instance: TestInstance; key: object }> {
    const client = await createClient(http, admin, { rate_limit: 10000 });
    const jwt = await resellerToken(http, client);
    const instance = await createInstance(http, jwt);
    t.sim.scan(instance.name);
    await waitFor(
      async () => (await http.get(`/api/v1/whatsapp/status/${instance.name}`, keyOf(client))).data.state === 'open',
      5000,
      'the instance to open',
    );
    return { client, jwt, instance, key: keyOf(client) };
  }

  /** `promise`, or a failure naming `what` after `ms`. */
  async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms waiting for ${what}`)), ms);
    });
    try {
      return await Promise.race([promise, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  const keyOf = (client: TestClient) => ({ headers: { apikey: client.apiKey } });

  async function send(key: object, instance: TestInstance, text = 'hi'): Promise<string> {
    const res = await http.post(
      '/api/v1/whatsapp/send',
      { instanceName: instance.name, number: '254712345678', text },
      key,
    );
    expect(res.status).toBe(201);
    return res.data.message_id as string;
  }

  const has = (live: Live, event: string, instance: TestInstance) =>
    live.events.some((e) => e.event === event && e.instance === instance.name);

  const waitEvent = (live: Live, event: string, instance: TestInstance, what = `${event} of ${instance.name}`) =>
    waitFor(() => has(live, event, instance), 10000, what);

  describe('refusing the upgrade with an HTTP error before any WebSocket opens', () => {
    it('answers 401 without a credential and for a bad token, in the API error shape', async () => {
      expect(await refused({})).toEqual({
        status: 401,
        body: {
          statusCode: 401,
          error: 'Unauthorized',
          code: 'UNAUTHORIZED',
          message: expect.stringMatching(/Missing credentials/),
        },
      });
      expect(await refused({ authorization: 'Bearer not-a-jwt' })).toMatchObject({
        status: 401,
        body: { statusCode: 401, error: 'Unauthorized', code: 'INVALID_TOKEN' },
      });
      expect(await refused({}, '?access_token=not-a-jwt')).toMatchObject({ status: 401 });
    });

    it('answers 401 with the HTTP API’s code for an unknown, revoked or deactivated key, where HTTP says 403', async () => {
      const unknown = 'nm_live_unknown_key_0123456789';
      expect((await http.get('/api/v1/whatsapp/status/any', { headers: { apikey: unknown } })).status).toBe(403);
      expect(await refused({ apikey: unknown })).toEqual({
        status: 401,
        body: { statusCode: 401, error: 'Unauthorized', code: 'INVALID_API_KEY', message: 'API key is not valid' },
      });
      const rotated = await createClient(http, admin);
      const deactivated = await createClient(http, admin);
      const deactivatedJwt = await resellerToken(http, deactivated);
      const auth = { headers: { authorization: `Bearer ${admin}` } };
      expect((await http.post(`/api/admin/clients/${rotated.id}/rotate-key`, {}, auth)).status).toBe(200);
      expect((await http.patch(`/api/admin/clients/${deactivated.id}`, { active: false }, auth)).status).toBe(200);
      expect(await refused({ apikey: rotated.apiKey })).toMatchObject({
        status: 401,
        body: { statusCode: 401, error: 'Unauthorized', code: 'API_KEY_REVOKED' },
      });
      for (const [headers, query] of [
        [{ apikey: deactivated.apiKey }, ''],
        [{ authorization: `Bearer ${deactivatedJwt}` }, ''],
        [{}, `?access_token=${deactivatedJwt}`],
      ] as const)
        expect(await refused(headers, query)).toMatchObject({
          status: 401,
          body: { statusCode: 401, error: 'Unauthorized', code: 'CLIENT_DEACTIVATED' },
        });
    });

    it('answers 404 for ?instance= naming another tenant’s instance', async () => {
      const a = await tenant();
      const b = await tenant();
      expect(await refused({ apikey: b.client.apiKey }, `?instance=${a.instance.name}`)).toMatchObject({
        status: 404,
        body: { statusCode: 404, error: 'Not Found', code: 'INSTANCE_NOT_FOUND' },
      });
    });
  });

  it('a client key receives send.message and messages.update for its send, and connection.update', async () => {
    const a = await tenant();
    const live = await connect({ apikey: a.client.apiKey });
    await send(a.key, a.instance);
    await waitEvent(live, 'send.message', a.instance);
    await waitFor(
      () => live.events.some((e) => e.event === 'messages.update' && e.data.status === 'READ'),
      10000,
      'messages.update READ',
    );
    const sent = live.events.find((e) => e.event === 'send.message')!;
    expect(sent).toEqual({
      event: 'send.message',
      instance: a.instance.name,
      data: expect.objectContaining({ key: expect.objectContaining({ id: expect.any(String) }) }),
      date_time: expect.any(String),
    });
    t.sim.setState(a.instance.name, 'close');
    await waitFor(
      () => live.events.some((e) => e.event === 'connection.update' && e.data.state === 'close'),
      10000,
      'connection.update close',
    );
    live.ws.close();
  });

  it('an instance key gets its instance only; ?instance= narrows a client key to one instance', async () => {
    const a = await tenant();
    const other = await createInstance(http, a.jwt);
    t.sim.scan(other.name);
    const byInstanceKey = await connect({ apikey: a.instance.apiKey });
    const narrowed = await connect({ apikey: a.client.apiKey }, `?instance=${a.instance.name}`);
    const whole = await connect({ apikey: a.client.apiKey });
    await send(a.key, other);
    await waitEvent(whole, 'send.message', other);
    await send(a.key, a.instance);
    for (const live of [byInstanceKey, narrowed, whole]) await waitEvent(live, 'send.message', a.instance);
    // Events of one instance arrive in order, so by the time the later send shows, the earlier one would have too.
    await waitEvent(whole, 'send.message', a.instance);
    for (const live of [byInstanceKey, narrowed]) {
      expect(live.events.every((e) => e.instance === a.instance.name)).toBe(true);
    }
    for (const live of [byInstanceKey, narrowed, whole]) live.ws.close();
  });

  it('a tenant never receives another tenant’s events; an admin JWT receives every tenant’s', async () => {
    const a = await tenant();
    const b = await tenant();
    const liveB = await connect({ apikey: b.client.apiKey });
    const liveAdmin = await connect({ authorization: `Bearer ${admin}` });
    await send(a.key, a.instance, 'for a');
    await waitEvent(liveAdmin, 'send.message', a.instance);
    await send(b.key, b.instance, 'for b');
    await waitEvent(liveB, 'send.message', b.instance);
    await waitEvent(liveAdmin, 'send.message', b.instance);
    // B's socket saw its own send after A's was published, and nothing of A's.
    expect(liveB.events.filter((e) => e.instance !== b.instance.name)).toEqual([]);
    liveB.ws.close();
    liveAdmin.ws.close();
  });

  it('accepts a reseller JWT as ?access_token= and as a Bearer header', async () => {
    const a = await tenant();
    const viaQuery = await connect({}, `?access_token=${a.jwt}`);
    const viaHeader = await connect({ authorization: `Bearer ${a.jwt}` });
    await send(a.key, a.instance);
    await waitEvent(viaQuery, 'send.message', a.instance);
    await waitEvent(viaHeader, 'send.message', a.instance);
    viaQuery.ws.close();
    viaHeader.ws.close();
  });

  it('closes sockets within seconds once their key is rotated or their client deactivated', async () => {
    const a = await tenant();
    const b = await tenant();
    const byKey = await connect({ apikey: a.client.apiKey });
    const byToken = await connect({ authorization: `Bearer ${a.jwt}` });
    const deactivated = await connect({ apikey: b.client.apiKey });
    const auth = { headers: { authorization: `Bearer ${admin}` } };
    const started = Date.now();
    expect((await http.post(`/api/admin/clients/${a.client.id}/rotate-key`, {}, auth)).status).toBe(200);
    expect((await http.patch(`/api/admin/clients/${b.client.id}`, { active: false }, auth)).status).toBe(200);
    for (const live of [byKey, byToken, deactivated])
      expect(await within(live.closed, 8000, 'the socket to close')).toMatchObject({ code: 4403 });
    expect(Date.now() - started).toBeLessThan(8000);
    expect((await deactivated.closed).reason).toMatch(/deactivated/);
  });

  it('announces bulk.progress until a small bulk completes', async () => {
    const client = await createClient(http, admin, {
      rate_limit: 10000,
      send_interval_ms: 0,
      jitter_min_ms: 0,
      jitter_max_ms: 0,
    });
    const jwt = await resellerToken(http, client);
    const instance = await createInstance(http, jwt);
    t.sim.scan(instance.name);
    const live = await connect({ apikey: client.apiKey });
    const res = await http.post(
      '/api/v1/whatsapp/send-bulk',
      { instanceName: instance.name, recipients: ['254712000001', '254712000002'], message: 'Hello' },
      keyOf(client),
    );
    expect(res.status).toBe(202);
    const progress = () => live.events.filter((e) => e.event === 'bulk.progress');
    await waitFor(() => progress().some((e) => e.data.status === 'completed'), 15000, 'the bulk to complete');
    expect(progress().at(-1)).toEqual({
      event: 'bulk.progress',
      instance: instance.name,
      data: { bulk_id: res.data.bulk_id, status: 'completed', sent: 2, failed: 0, pending: 0 },
      date_time: expect.any(String),
    });
    expect(progress().some((e) => e.data.status === 'running')).toBe(true);
    live.ws.close();
  });

  it('drops a consumer that stops reading once its unsent data passes WS_MAX_BUFFERED_BYTES, closing with 4408', async () => {
    const client = await createClient(http, admin, { rate_limit: 10000 });
    const live = await connect({ apikey: client.apiKey });
    // The client stops reading from TCP: the kernel's buffers fill, then the server's unsent data grows.
    (live.ws as unknown as { _socket: Socket })._socket.pause();
    const redis = t.app.get(RedisService);
    const channel = redis.key(LIVE_EVENTS_CHANNEL, client.id);
    const publisher = t.app.get(LiveEventPublisher);
    const event = { event: 'filler', instance: 'none', data: { text: 'x'.repeat(16 * 1024) }, date_time: 'now' };
    let published = 0;
    // Once this process has dropped the client's only socket it leaves the client's channel: until then, more events.
    await waitFor(
      async () => {
        await Promise.all(
          Array.from({ length: 16 }, () => publisher.publish({ clientId: client.id, instanceId: 'x' }, event)),
        );
        published += 16;
        const [, subscribers] = (await redis.client.call('PUBSUB', 'NUMSUB', channel)) as [string, number];
        return Number(subscribers) === 0;
      },
      20000,
      'the server to drop the socket that does not read',
    );
    (live.ws as unknown as { _socket: Socket })._socket.resume();
    expect(await within(live.closed, 10000, 'the close')).toEqual({
      code: 4408,
      reason: 'slow consumer: too many unread events',
    });
    // What was already on its way arrived before the close; the rest was never buffered for it.
    expect(live.events.length).toBeGreaterThan(0);
    expect(live.events.length).toBeLessThan(published);
  });

  describe('keep-alive, on an API process that pings every 300 ms', () => {
    let k: TestApp;
    let kHttp: AxiosInstance;

    beforeAll(async () => {
      k = await startTestApp({ APP_ROLE: 'api', WS_PING_INTERVAL_MS: '300' });
      kHttp = httpClient(k.url);
    }, 60000);
    afterAll(() => k?.close());

    it('cuts a socket that never answers pings, and keeps one that does', async () => {
      const client = await createClient(kHttp, await adminToken(kHttp), { rate_limit: 10000 });
      const answering = await connect({ apikey: client.apiKey }, '', k.url);
      let answeredPings = 0;
      answering.ws.on('ping', () => (answeredPings += 1));
      const silent = new WebSocket(wsUrl(k.url), { headers: { apikey: client.apiKey }, autoPong: false });
      opened.push(silent);
      let silentPings = 0;
      silent.on('ping', () => (silentPings += 1));
      silent.on('error', () => undefined);
      const silentClosed = new Promise<number>((resolve) => silent.once('close', (code: number) => resolve(code)));
      // Cut without a close frame (1006) by the round after the ping it did not answer.
      expect(await within(silentClosed, 5000, 'the silent socket to be cut')).toBe(1006);
      expect(silentPings).toBeGreaterThanOrEqual(1);
      await waitFor(() => answeredPings >= 3, 5000, 'three pings answered');
      expect(answering.ws.readyState).toBe(WebSocket.OPEN);
      answering.ws.close();
    });
  });

  describe('with a second, api-role process', () => {
    let other: Spawned;
    let otherUrl: string;

    beforeAll(async () => {
      const port = await freePort();
      otherUrl = `http://127.0.0.1:${port}`;
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
      const b = httpClient(otherUrl);
      await waitFor(async () => (await b.get('/health')).status === 200, 60000, 'the second process to listen');
    }, 90000);
    afterAll(() => other?.kill());

    it('a socket there receives events this process handled, and is closed with 1001 when it stops', async () => {
      const a = await tenant();
      // The upstream posts its webhooks to this process (PUBLIC_URL): the event reaches the other one through Redis.
      const live = await connect({ apikey: a.client.apiKey }, '', otherUrl);
      await send(a.key, a.instance);
      await waitEvent(live, 'send.message', a.instance);
      other.child.kill('SIGTERM');
      expect(await within(live.closed, 10000, 'the close')).toEqual({ code: 1001, reason: 'server shutting down' });
      expect(await other.exited).toBe(0);
    });
  });

  describe('with the API and a worker as separate processes', () => {
    let api: TestApp;
    let apiHttp: AxiosInstance;
    let worker: Spawned;

    beforeAll(async () => {
      // This test's API process runs no queue: every bulk recipient is sent by the worker process.
      api = await startTestApp({ APP_ROLE: 'api' });
      apiHttp = httpClient(api.url);
      const port = await freePort();
      worker = spawnGateway(
        rawTestEnv({
          DATABASE_URL: api.env.DATABASE_URL,
          REDIS_URL: api.env.REDIS_URL,
          REDIS_KEY_PREFIX: api.env.REDIS_KEY_PREFIX,
          EVOLUTION_API_URL: api.sim.url,
          PUBLIC_URL: api.url,
          APP_ROLE: 'worker',
          PORT: String(port),
          LOG_LEVEL: 'warn',
        }),
      );
      const probe = httpClient(`http://127.0.0.1:${port}`);
      await waitFor(async () => (await probe.get('/health')).status === 200, 60000, 'the worker to listen');
    }, 90000);
    afterAll(async () => {
      await worker?.kill();
      await api?.close();
    });

    it('a socket on the API process receives the bulk.progress of a bulk the worker sends, and its messages’ events', async () => {
      // The API process holds no bulk processor, so only the worker process can send the bulk and announce it.
      const modules = [...api.app.get(ModulesContainer).values()];
      expect(modules.some((module) => module.providers.has(BulkProcessor))).toBe(false);
      const client = await createClient(apiHttp, await adminToken(apiHttp), {
        rate_limit: 10000,
        send_interval_ms: 0,
        jitter_min_ms: 0,
        jitter_max_ms: 0,
      });
      const instance = await createInstance(apiHttp, await resellerToken(apiHttp, client));
      api.sim.scan(instance.name);
      const key = keyOf(client);
      await waitFor(
        async () => (await apiHttp.get(`/api/v1/whatsapp/status/${instance.name}`, key)).data.state === 'open',
        10000,
        'the instance to open',
      );
      const live = await connect({ apikey: client.apiKey }, '', api.url);
      const recipients = ['254712000011', '254712000012', '254712000013'];
      const res = await apiHttp.post(
        '/api/v1/whatsapp/send-bulk',
        { instanceName: instance.name, recipients, message: 'From the worker' },
        key,
      );
      expect(res.status).toBe(202);
      const progress = () => live.events.filter((e) => e.event === 'bulk.progress');
      await waitFor(() => progress().some((e) => e.data.status === 'completed'), 30000, 'the bulk to complete');
      for (const e of progress()) {
        expect(e).toEqual({
          event: 'bulk.progress',
          instance: instance.name,
          data: {
            bulk_id: res.data.bulk_id,
            status: expect.any(String),
            sent: expect.any(Number),
            failed: expect.any(Number),
            pending: expect.any(Number),
          },
          date_time: expect.any(String),
        });
        expect((e.data.sent as number) + (e.data.failed as number) + (e.data.pending as number)).toBe(3);
      }
      expect(progress()[0]!.data).toMatchObject({ status: 'running', sent: 0 });
      expect(progress().at(-1)!.data).toEqual({
        bulk_id: res.data.bulk_id,
        status: 'completed',
        sent: 3,
        failed: 0,
        pending: 0,
      });
      // The worker's sends reach the upstream, whose webhooks reach the API process and, through Redis, the socket.
      const jids = recipients.map((number) => `${number}@s.whatsapp.net`);
      const sentIds = () =>
        live.events
          .filter((e) => e.event === 'send.message')
          .map((e) => e.data.key as { id: string; remoteJid: string });
      await waitFor(() => sentIds().length >= 3, 10000, 'send.message for each recipient');
      expect(
        sentIds()
          .map((k) => k.remoteJid)
          .sort(),
      ).toEqual(jids);
      await waitFor(
        () =>
          sentIds().every(({ id }) =>
            live.events.some((e) => e.event === 'messages.update' && e.data.keyId === id && e.data.status === 'READ'),
          ),
        10000,
        'messages.update READ for each recipient',
      );
      live.ws.close();
    });
  });
});
