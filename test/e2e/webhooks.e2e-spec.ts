import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AxiosInstance } from 'axios';
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { createApp } from '@/app/create-app';
import { closeGracefully } from '@/app/graceful-shutdown';
import { UPSTREAM_WEBHOOK_TOKEN_HEADER } from '@/integrations/evolution/upstream-webhook';
import { adminToken, createClient, httpClient, TestClient } from '../factories/client.factory';
import { createInstance, resellerToken, TestInstance } from '../factories/instance.factory';
import { freePort, queryDb, startTestApp, TestApp, upstreamWebhookTokenOf } from '../setup/test-app';
import { waitFor } from '../setup/wait-for';
import { ReceivedWebhook, startWebhookReceiver, WebhookReceiver } from '../upstream/webhook-receiver';

/** Verification as a tenant would do it, by the Standard Webhooks rules. */
function verifies(hook: ReceivedWebhook, secret: string): boolean {
  const id = hook.headers['webhook-id'] as string;
  const timestamp = hook.headers['webhook-timestamp'] as string;
  const expected = createHmac('sha256', Buffer.from(secret.replace(/^whsec_/, ''), 'base64'))
    .update(`${id}.${timestamp}.${JSON.stringify(hook.body)}`)
    .digest('base64');
  return (hook.headers['webhook-signature'] as string).split(' ').includes(`v1,${expected}`);
}

describe('tenant webhooks', () => {
  let t: TestApp;
  let http: AxiosInstance;
  let receiver: WebhookReceiver;
  let admin: string;

  beforeAll(async () => {
    // The API here; the worker runs as its own app so a test can restart it.
    t = await startTestApp({
      APP_ROLE: 'api',
      WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
      WEBHOOK_RETRY_SCHEDULE: '300ms,300ms,300ms',
    });
    worker = await startWorker();
    http = httpClient(t.url);
    receiver = await startWebhookReceiver();
    admin = await adminToken(http);
  });
  afterAll(async () => {
    await worker?.close();
    await receiver.close();
    await t.close();
  });

  let worker: NestFastifyApplication | undefined;
  async function startWorker(): Promise<NestFastifyApplication> {
    const port = await freePort();
    const app = await createApp({ ...t.env, APP_ROLE: 'worker', PORT: port });
    await app.listen({ port, host: '127.0.0.1' });
    return app;
  }

  /** A tenant with a connected instance whose events (by default the message ones) go to the test receiver. */
  async function tenant(
    path = '/hook',
    events = ['MESSAGES_UPSERT', 'MESSAGES_UPDATE', 'SEND_MESSAGE'],
  ): Promise<{ client: TestClient; instance: TestInstance; key: { headers: { apikey: string } } }> {
    const client = await createClient(http, admin, {
      send_interval_ms: 0,
      jitter_min_ms: 0,
      jitter_max_ms: 0,
      rate_limit: 10000,
    });
    const instance = await createInstance(http, await resellerToken(http, client));
    const key = { headers: { apikey: client.apiKey } };
    await http.put(`/api/v1/whatsapp/webhook/${instance.name}`, { url: `${receiver.url}${path}`, events }, key);
    t.sim.scan(instance.name);
    return { client, instance, key };
  }

  const hooksFor = (instance: TestInstance) => receiver.received.filter((h) => h.body?.instance === instance.name);

  it('delivers an inbound message, signed so that it verifies, without upstream secrets', async () => {
    const { instance } = await tenant('/inbound');
    t.sim.receiveMessage(instance.name, { from: '254712345678', text: 'I need help with my order' });
    const hook = await waitFor(
      () => hooksFor(instance).find((h) => h.body.event === 'messages.upsert'),
      5000,
      'messages.upsert',
    );
    expect(hook.path).toBe('/inbound');
    expect(verifies(hook, instance.webhookSecret)).toBe(true);
    expect(hook.headers['webhook-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(Math.abs(Number(hook.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(30);
    expect(hook.body).toMatchObject({
      event: 'messages.upsert',
      instance: instance.name,
      server_url: t.url,
      date_time: expect.any(String),
    });
    expect(hook.body).not.toHaveProperty('apikey');
    expect(JSON.stringify(hook.body)).not.toContain(t.sim.instance(instance.name)!.token);
    expect(JSON.stringify(hook.body)).toContain('I need help with my order');
  });

  it('signs with the new and the previous secret during a rotation’s grace period, then with the new one only', async () => {
    const { client, instance } = await tenant('/rotation');
    const jwt = await resellerToken(http, client);
    const bearer = { headers: { authorization: `Bearer ${jwt}` } };
    const inbound = async (text: string) => {
      t.sim.receiveMessage(instance.name, { from: '254712345678', text });
      return waitFor(() => hooksFor(instance).find((h) => JSON.stringify(h.body).includes(text)), 5000, text);
    };

    const graced = await http.post(
      `/api/v1/whatsapp/reseller/sub-instances/${instance.id}/rotate-webhook-secret`,
      { grace_seconds: 3600 },
      bearer,
    );
    expect(graced.status).toBe(200);
    expect(graced.data.webhook_secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(Date.parse(graced.data.previous_secret_expires_at) - Date.now()).toBeGreaterThan(3500_000);
    const during = await inbound('during the grace period');
    expect((during.headers['webhook-signature'] as string).split(' ')).toHaveLength(2);
    expect(verifies(during, graced.data.webhook_secret)).toBe(true);
    expect(verifies(during, instance.webhookSecret)).toBe(true);

    // The operator rotates again without grace: only the newest secret signs.
    const now = await http.post(
      `/api/admin/instances/${instance.id}/rotate-webhook-secret`,
      {},
      { headers: { authorization: `Bearer ${admin}` } },
    );
    expect(now.status).toBe(200);
    const after = await inbound('after the second rotation');
    expect(verifies(after, now.data.webhook_secret)).toBe(true);
    expect(verifies(after, graced.data.webhook_secret)).toBe(false);
    expect(verifies(after, instance.webhookSecret)).toBe(false);

    const audit = await http.get(`/api/admin/audit?client_id=${client.id}&action=instance.webhook_secret_rotated`, {
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(audit.data.events.map((e: { actor_type: string; details: object }) => [e.actor_type, e.details])).toEqual([
      ['admin', { name: instance.name, grace_seconds: 0 }],
      ['client', { name: instance.name, grace_seconds: 3600 }],
    ]);
    expect(JSON.stringify(audit.data)).not.toContain(now.data.webhook_secret);
  });

  it('reaches the tenant directly even with HTTP_PROXY set, so the address check at connect time holds', async () => {
    const { instance } = await tenant('/direct');
    const saved = { upper: process.env.HTTP_PROXY, lower: process.env.http_proxy };
    // A proxy would connect to the target itself, past the guard's check of the address; this one does not even exist.
    process.env.HTTP_PROXY = process.env.http_proxy = 'http://127.0.0.1:9';
    try {
      t.sim.receiveMessage(instance.name, { from: '254712345678', text: 'direct' });
      await waitFor(
        () => hooksFor(instance).find((h) => h.path === '/direct'),
        5000,
        'a delivery that bypassed the proxy',
      );
    } finally {
      for (const [name, value] of [
        ['HTTP_PROXY', saved.upper],
        ['http_proxy', saved.lower],
      ] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });

  it('delivers a send’s status updates in their envelope', async () => {
    const { instance, key } = await tenant();
    const sent = await http.post(
      '/api/v1/whatsapp/send',
      { instanceName: instance.name, number: '254712345678', text: 'hi' },
      key,
    );
    await waitFor(
      () => hooksFor(instance).filter((h) => h.body.event === 'messages.update').length >= 3,
      5000,
      'three status updates',
    );
    const updates = hooksFor(instance).filter((h) => h.body.event === 'messages.update');
    expect(updates.map((h) => (h.body.data as { status: string }).status).sort()).toEqual([
      'DELIVERY_ACK',
      'READ',
      'SERVER_ACK',
    ]);
    expect(updates.every((h) => (h.body.data as { keyId: string }).keyId === sent.data.message_id)).toBe(true);
    expect(updates.every((h) => verifies(h, instance.webhookSecret))).toBe(true);
  });

  it('retries a receiver that fails with 500 until it answers 2xx', async () => {
    const { instance } = await tenant('/flaky');
    receiver.respondWith(500);
    t.sim.receiveMessage(instance.name, { from: '254712345678', text: 'retry me' });
    await waitFor(
      () => hooksFor(instance).filter((h) => h.body.event === 'messages.upsert').length >= 2,
      5000,
      'two failed attempts',
    );
    receiver.respondWith(200);
    const log = await waitFor(
      async () => {
        const res = await http.get(`/api/v1/whatsapp/webhooks/deliveries?instance=${instance.name}`, {
          headers: { apikey: instance.apiKey },
        });
        const d = res.data.deliveries.find((x: { event: string }) => x.event === 'messages.upsert');
        return d?.status === 'succeeded' ? d : undefined;
      },
      10000,
      'the delivery to succeed',
    );
    expect(log.attempts).toBeGreaterThanOrEqual(3);
    expect(log.last_status_code).toBe(200);
    const ids = new Set(
      hooksFor(instance)
        .filter((h) => h.body.event === 'messages.upsert')
        .map((h) => h.headers['webhook-id']),
    );
    expect(ids.size).toBe(1);
  });

  it('marks a delivery dead after the schedule and redelivers it on request', async () => {
    const { instance, key } = await tenant('/down');
    receiver.respondWith(503);
    t.sim.receiveMessage(instance.name, { from: '254712345678', text: 'dead letter' });
    const dead = await waitFor(
      async () => {
        const res = await http.get(`/api/v1/whatsapp/webhooks/deliveries?instance=${instance.name}&status=dead`, key);
        return res.data.deliveries[0];
      },
      10000,
      'a dead delivery',
    );
    expect(dead).toMatchObject({
      attempts: 4,
      last_status_code: 503,
      last_error: 'endpoint answered 503',
      next_attempt_at: null,
    });

    receiver.respondWith(200);
    expect((await http.post(`/api/v1/whatsapp/webhooks/deliveries/${dead.id}/redeliver`, null, key)).status).toBe(202);
    await waitFor(
      async () =>
        (await http.get(`/api/v1/whatsapp/webhooks/deliveries?instance=${instance.name}&status=succeeded`, key)).data
          .deliveries.length === 1,
      10000,
      'redelivery',
    );
  });

  it('redelivers every dead delivery since a time', async () => {
    const { instance, key } = await tenant('/down2');
    const since = new Date().toISOString();
    receiver.respondWith(500);
    t.sim.receiveMessage(instance.name, { from: '254712345678', text: 'one' });
    t.sim.receiveMessage(instance.name, { from: '254712345679', text: 'two' });
    await waitFor(
      async () =>
        (await http.get(`/api/v1/whatsapp/webhooks/deliveries?instance=${instance.name}&status=dead`, key)).data
          .deliveries.length === 2,
      10000,
      'two dead',
    );
    receiver.respondWith(200);
    const res = await http.post('/api/v1/whatsapp/webhooks/deliveries/redeliver', { since }, key);
    expect(res.status).toBe(202);
    expect(res.data).toEqual({ redelivered: 2 });
    await waitFor(
      async () =>
        (await http.get(`/api/v1/whatsapp/webhooks/deliveries?instance=${instance.name}&status=succeeded`, key)).data
          .deliveries.length === 2,
      10000,
      'both delivered',
    );
  });

  it('turns duplicate upstream events into one delivery', async () => {
    const { instance, key } = await tenant('/dupes');
    const token = await upstreamWebhookTokenOf(t, instance.id);
    const event = {
      event: 'messages.upsert',
      instance: instance.name,
      data: {
        key: { id: 'DUPLICATE-1', remoteJid: '254712345678@s.whatsapp.net', fromMe: false },
        message: { conversation: 'x' },
      },
    };
    for (let i = 0; i < 3; i++) {
      expect(
        (
          await http.post(`/webhooks/evolution/${instance.name}`, event, {
            headers: { [UPSTREAM_WEBHOOK_TOKEN_HEADER]: token },
          })
        ).status,
      ).toBe(200);
    }
    await waitFor(
      () => hooksFor(instance).some((h) => (h.body.data as { key?: { id: string } }).key?.id === 'DUPLICATE-1'),
      5000,
      'the delivery',
    );
    const log = await http.get(
      `/api/v1/whatsapp/webhooks/deliveries?instance=${instance.name}&event=messages.upsert`,
      key,
    );
    expect(log.data.deliveries).toHaveLength(1);
  });

  it('forwards connection state changes, not the upstream’s repeats', async () => {
    const { instance, key } = await tenant('/states', ['CONNECTION_UPDATE']);
    const token = await upstreamWebhookTokenOf(t, instance.id);
    const count = async () =>
      (await http.get(`/api/v1/whatsapp/webhooks/deliveries?instance=${instance.name}&event=connection.update`, key))
        .data.deliveries.length as number;
    // The scan moves the instance to open; the state it had before is whatever the create left.
    await waitFor(
      async () => (await queryDb(t, 'SELECT status FROM instances WHERE id = $1', [instance.id]))[0]!.status === 'open',
      5000,
      'open',
    );
    const before = await count();
    const connecting = {
      event: 'connection.update',
      data: { instance: instance.name, state: 'connecting', statusReason: 200 },
    };
    for (let i = 0; i < 3; i++)
      await http.post(`/webhooks/evolution/${instance.name}`, connecting, {
        headers: { [UPSTREAM_WEBHOOK_TOKEN_HEADER]: token },
      });
    expect(await count()).toBe(before + 1);
  });

  it('refuses private targets when the URL is set, and private redirects at delivery time', async () => {
    const { instance, key } = await tenant();
    const privateUrl = await http.put(
      `/api/v1/whatsapp/webhook/${instance.name}`,
      { url: 'http://10.0.0.5/hook' },
      key,
    );
    expect(privateUrl.status).toBe(400);
    expect(privateUrl.data.message).toBe('url: 10.0.0.5 is a private, loopback or link-local address');
    const metadata = await http.put(
      `/api/v1/whatsapp/webhook/${instance.name}`,
      { url: 'http://169.254.169.254/latest' },
      key,
    );
    expect(metadata.status).toBe(400);

    // A redirect to a private address is refused when it is followed, at delivery time.
    const redirector = createServer((_, res) => {
      res.writeHead(302, { location: 'http://10.0.0.5/internal' });
      res.end();
    });
    await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
    try {
      const port = (redirector.address() as AddressInfo).port;
      expect(
        (
          await http.put(
            `/api/v1/whatsapp/webhook/${instance.name}`,
            { url: `http://127.0.0.1:${port}/moved`, events: ['MESSAGES_UPSERT'] },
            key,
          )
        ).status,
      ).toBe(200);
      t.sim.receiveMessage(instance.name, { from: '254712345678', text: 'ssrf' });
      const failed = await waitFor(
        async () => {
          const res = await http.get(
            `/api/v1/whatsapp/webhooks/deliveries?instance=${instance.name}&event=messages.upsert`,
            key,
          );
          return res.data.deliveries[0]?.last_error ? res.data.deliveries[0] : undefined;
        },
        5000,
        'a refused attempt',
      );
      expect(failed.last_error).toBe('refused: 10.0.0.5 is a private, loopback or link-local address');
    } finally {
      redirector.closeAllConnections();
      await new Promise((resolve) => redirector.close(resolve));
    }
  });

  it('sends only subscribed events and reads back the configuration', async () => {
    const { instance, key } = await tenant();
    await http.put(
      `/api/v1/whatsapp/webhook/${instance.name}`,
      { url: `${receiver.url}/only-upserts`, events: ['MESSAGES_UPSERT'] },
      key,
    );
    const config = await http.get(`/api/v1/whatsapp/webhook/${instance.name}`, key);
    expect(config.data).toEqual({
      instance: instance.name,
      url: `${receiver.url}/only-upserts`,
      events: ['MESSAGES_UPSERT'],
      enabled: true,
      effective_url: `${receiver.url}/only-upserts`,
    });
    await http.post('/api/v1/whatsapp/send', { instanceName: instance.name, number: '254712345678', text: 'x' }, key);
    t.sim.receiveMessage(instance.name, { from: '254712345678', text: 'y' });
    await waitFor(() => receiver.received.some((h) => h.path === '/only-upserts'), 5000, 'the upsert');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(receiver.received.filter((h) => h.path === '/only-upserts').map((h) => h.body.event)).toEqual([
      'messages.upsert',
    ]);
    const bad = await http.put(
      `/api/v1/whatsapp/webhook/${instance.name}`,
      { url: 'https://x.example', events: ['NOPE'] },
      key,
    );
    expect(bad.status).toBe(400);
    expect(bad.data.message).toMatch(/^events: each value must be one of/);
  });

  it('completes a delivery when the worker restarts between attempts', async () => {
    const { instance } = await tenant('/restart');
    receiver.respondWith(500);
    t.sim.receiveMessage(instance.name, { from: '254712345678', text: 'survive a restart' });
    await waitFor(() => receiver.received.some((h) => h.path === '/restart'), 5000, 'the first attempt');
    // A restart as the process makes one on SIGTERM: the attempt in hand is finished and recorded before it stops.
    await closeGracefully(worker!);
    worker = undefined;
    receiver.respondWith(200);
    worker = await startWorker();
    await waitFor(() => receiver.received.filter((h) => h.path === '/restart').length >= 2, 15000, 'the next attempt');
    const last = receiver.received.filter((h) => h.path === '/restart').at(-1)!;
    expect(verifies(last, instance.webhookSecret)).toBe(true);
  });
});
