import { AxiosInstance } from 'axios';
import { Job } from 'bullmq';
import { WebhookDeliveryProcessor } from '@/modules/webhooks/webhook-delivery.processor';
import { WebhookDeliveryService } from '@/modules/webhooks/webhook-delivery.service';
import { DeliverPayload } from '@/queue/job-payloads';
import { adminToken, createClient, httpClient } from '../factories/client.factory';
import { createInstance, resellerToken, TestInstance } from '../factories/instance.factory';
import { RelayedDatabase, relayedDatabase } from '../setup/database-relay';
import { TcpProxy } from '../setup/tcp-proxy';
import { queryDb, startTestApp, TestApp } from '../setup/test-app';
import { waitFor } from '../setup/wait-for';
import { startWebhookReceiver, WebhookReceiver } from '../upstream/webhook-receiver';

/**
 * Tenant webhook deliveries while Postgres goes away under a running gateway (a relay between the app and Postgres is
 * cut, then restored): an attempt job that cannot read or write its delivery fails all its tries, and the delivery
 * must still be attempted again once Postgres is back.
 */
describe('webhook deliveries across a database outage', () => {
  let proxy: TcpProxy;
  let db: RelayedDatabase;
  let t: TestApp;
  let http: AxiosInstance;
  let receiver: WebhookReceiver;
  let admin: string;
  /** Delivery ids whose attempt job failed its last try. */
  const exhausted = new Set<string>();

  beforeAll(async () => {
    db = await relayedDatabase();
    proxy = db.proxy;
    t = await startTestApp({
      DATABASE_URL: db.relayedUrl,
      WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
      WEBHOOK_RETRY_SCHEDULE: '1s,1s,1s',
      WEBHOOK_TIMEOUT_MS: '1500',
    });
    http = httpClient(t.url);
    receiver = await startWebhookReceiver();
    admin = await adminToken(http);
    t.app.get(WebhookDeliveryProcessor).worker.on('failed', (job?: Job<DeliverPayload>) => {
      if (job && job.attemptsMade >= (job.opts.attempts ?? 1)) exhausted.add(job.data.deliveryId);
    });
  });
  afterAll(async () => {
    proxy?.resume();
    await receiver?.close();
    await t?.close();
    await db?.close();
  });

  /** A tenant with a connected instance whose inbound messages go to the test receiver. */
  async function tenant(path: string): Promise<TestInstance> {
    const client = await createClient(http, admin, {
      send_interval_ms: 0,
      jitter_min_ms: 0,
      jitter_max_ms: 0,
      rate_limit: 10000,
    });
    const instance = await createInstance(http, await resellerToken(http, client));
    await http.put(
      `/api/v1/whatsapp/webhook/${instance.name}`,
      { url: `${receiver.url}${path}`, events: ['MESSAGES_UPSERT'] },
      { headers: { apikey: client.apiKey } },
    );
    t.sim.scan(instance.name);
    return instance;
  }

  const hooksAt = (path: string) => receiver.received.filter((h) => h.path === path);
  /** Read past the relay, so the test sees the rows while the app cannot. */
  const deliveryRow = async (instance: TestInstance) =>
    (
      await queryDb(
        { env: { ...t.env, DATABASE_URL: db.url } },
        'SELECT id, status, attempts, last_status_code FROM webhook_deliveries WHERE instance_id = $1',
        [instance.id],
      )
    )[0];
  /** What the housekeeping timer does every few seconds, driven here so the test does not wait for its interval. */
  const sweep = () => t.app.get(WebhookDeliveryService).sweepDue();

  it('attempts a delivery that fell due while Postgres was down once it is back', async () => {
    const instance = await tenant('/due');
    receiver.respondWith(500);
    t.sim.receiveMessage(instance.name, { from: '254712345678', text: 'due during the outage' });
    const failed = await waitFor(
      async () => {
        const row = await deliveryRow(instance);
        return row?.status === 'retrying' ? row : undefined;
      },
      10000,
      'the first attempt to be recorded as failed',
    );

    // The retry comes due while Postgres is unreachable: its job cannot read the delivery and fails every try.
    proxy.cut();
    receiver.respondWith(200);
    await waitFor(() => exhausted.has(failed.id as string), 15000, 'the retry job to fail all its tries');
    proxy.resume();

    await waitFor(
      async () => {
        await sweep();
        return (await deliveryRow(instance))?.status === 'succeeded';
      },
      20000,
      'the delivery to succeed',
    );
    expect(await deliveryRow(instance)).toMatchObject({ status: 'succeeded', attempts: 2, last_status_code: 200 });
    const hooks = hooksAt('/due');
    expect(hooks).toHaveLength(2);
    expect(new Set(hooks.map((h) => h.headers['webhook-id']))).toEqual(new Set([failed.id]));
  }, 60000);

  it('attempts a delivery again when Postgres went down before its outcome could be recorded', async () => {
    const instance = await tenant('/in-flight');
    receiver.respondWith(200);
    // The receiver holds its answer, so Postgres goes away while the attempt waits for it.
    receiver.respondAfter(500);
    t.sim.receiveMessage(instance.name, { from: '254712345678', text: 'in flight during the outage' });
    await waitFor(() => hooksAt('/in-flight').length === 1, 10000, 'the first attempt to reach the receiver');
    proxy.cut();
    const id = ((await deliveryRow(instance))?.id ?? '') as string;
    await waitFor(() => exhausted.has(id), 15000, 'the attempt job to fail all its tries');
    receiver.respondAfter(0);
    proxy.resume();

    await waitFor(
      async () => {
        await sweep();
        return (await deliveryRow(instance))?.status === 'succeeded';
      },
      30000,
      'the delivery to succeed',
    );
    expect(await deliveryRow(instance)).toMatchObject({ status: 'succeeded', last_status_code: 200 });
    // The receiver got it twice: the gateway could not know the first answer; the webhook-id lets the tenant drop the repeat.
    const hooks = hooksAt('/in-flight');
    expect(hooks).toHaveLength(2);
    expect(new Set(hooks.map((h) => h.headers['webhook-id']))).toEqual(new Set([id]));
  }, 60000);
});
