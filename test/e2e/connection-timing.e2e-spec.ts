import { AxiosInstance } from 'axios';
import { adminToken, createClient, httpClient, TestClient } from '../factories/client.factory';
import { createInstance, resellerToken, TestInstance, uniqueInstanceName } from '../factories/instance.factory';
import { queryDb, startTestApp, TestApp } from '../setup/test-app';
import { waitFor } from '../setup/wait-for';
import { startWebhookReceiver, WebhookReceiver } from '../upstream/webhook-receiver';

const SUB = '/api/v1/whatsapp/reseller/sub-instances';

/**
 * The gateway against the timing of a real Evolution API 2.3.6 (contract §11, §12), which the simulator reproduces on
 * request: a server that cannot reach WhatsApp retries a connection forever, repeating `connecting` while its
 * connectionState flips between close and connecting, and a delete completes (and frees the name) only later.
 */
describe('connection timing of a real upstream', () => {
  let t: TestApp;
  let http: AxiosInstance;
  let admin: string;
  let receiver: WebhookReceiver;
  const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
  const key = (apikey: string) => ({ headers: { apikey } });

  beforeAll(async () => {
    t = await startTestApp({ WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' });
    http = httpClient(t.url);
    admin = await adminToken(http);
    receiver = await startWebhookReceiver();
  });
  // Also ends the reconnect loops a test started, so they do not keep posting into the next one.
  afterEach(() => t.sim.reset());
  afterAll(async () => {
    await receiver.close();
    await t.close();
  });

  interface Tenant {
    client: TestClient;
    jwt: string;
    instance: TestInstance;
    apikey: { headers: { apikey: string } };
  }

  /** A client with one instance whose events (those named) go to the test receiver. */
  async function tenant(events: string[] = ['CONNECTION_UPDATE'], body: Record<string, unknown> = {}): Promise<Tenant> {
    const client = await createClient(http, admin, { rate_limit: 10000 });
    const jwt = await resellerToken(http, client);
    const instance = await createInstance(http, jwt, body);
    const apikey = key(client.apiKey);
    const hook = await http.put(`/api/v1/whatsapp/webhook/${instance.name}`, { url: `${receiver.url}/${instance.name}`, events }, apikey);
    expect(hook.status).toBe(200);
    return { client, jwt, instance, apikey };
  }

  const qr = (tenant: Tenant) => http.get(`/api/v1/whatsapp/qrcode/${tenant.instance.name}`, tenant.apikey);
  const connectCalls = (name: string) => t.sim.requests().filter((r) => r.path === `/instance/connect/${name}`).length;
  const createCalls = (name: string) => t.sim.requests().filter((r) => r.path === '/instance/create' && (r.body as { instanceName?: string }).instanceName === name);
  /** What the upstream posted to the gateway for this instance, with the gateway's answer. */
  const upstreamPosts = (name: string, event?: string) =>
    t.sim.webhookDeliveries().filter((d) => d.instance === name && (event === undefined || d.event === event));
  /** What the gateway stored for the tenant (each row is one signed delivery). */
  const forwarded = async (instanceId: string) =>
    (await queryDb(t, 'SELECT event, payload FROM webhook_deliveries WHERE instance_id = $1 ORDER BY created_at, id', [instanceId])).map(
      (row) => `${row.event as string}:${String((row.payload as { data?: { state?: string } }).data?.state ?? '')}`,
    );

  describe('status polls while the upstream retries a connection', () => {
    it('tell the tenant about connecting once, however often the status is polled', async () => {
      t.sim.configure({ whatsappReachable: false, reconnectIntervalMs: 50 });
      const tn = await tenant();
      expect((await qr(tn)).data).toMatchObject({ state: 'connecting', count: 0 });
      const answered = () => upstreamPosts(tn.instance.name, 'connection.update').filter((d) => d.statusCode === 200).length;
      await waitFor(() => answered() >= 1, 5000, 'the first connecting event');

      const polled: string[] = [];
      for (let i = 0; i < 6; i++) {
        const res = await http.get(`/api/v1/whatsapp/status/${tn.instance.name}`, tn.apikey);
        expect(res.status).toBe(200);
        polled.push(res.data.state as string);
        // The upstream repeats `connecting` after the poll stored what connectionState said.
        const before = answered();
        await waitFor(() => answered() > before, 5000, 'a repeated connecting event after the poll');
      }
      expect(polled).toContain('close');
      expect(await forwarded(tn.instance.id)).toEqual(['connection.update:connecting']);
      await waitFor(() => receiver.received.some((h) => h.path === `/${tn.instance.name}`), 5000, 'the delivery');
      expect(receiver.received.filter((h) => h.path === `/${tn.instance.name}`)).toHaveLength(1);
    });

    it('still tell the tenant about a real change after the repeats', async () => {
      t.sim.configure({ whatsappReachable: false, reconnectIntervalMs: 50 });
      const tn = await tenant();
      await qr(tn);
      await waitFor(async () => (await forwarded(tn.instance.id)).length === 1, 5000, 'connecting forwarded');
      await http.get(`/api/v1/whatsapp/status/${tn.instance.name}`, tn.apikey);
      t.sim.scan(tn.instance.name);
      await waitFor(async () => (await forwarded(tn.instance.id)).includes('connection.update:open'), 5000, 'open forwarded');
      expect(await forwarded(tn.instance.id)).toEqual(['connection.update:connecting', 'connection.update:open']);
    });
  });
});
