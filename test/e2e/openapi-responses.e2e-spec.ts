import { AxiosInstance } from 'axios';
import { OpenApiConformance } from '../setup/openapi-conformance';
import { startTestApp, TestApp } from '../setup/test-app';
import { TEST_ADMIN } from '../setup/test-env';
import { waitFor } from '../setup/wait-for';
import { startWebhookReceiver, WebhookReceiver } from '../upstream/webhook-receiver';

const V1 = '/api/v1/whatsapp';
const UNPACED = { send_interval_ms: 0, pacing_override: true, jitter_min_ms: 0, jitter_max_ms: 0 };

/**
 * The typed client is generated from the OpenAPI document, so the document must describe what the routes answer:
 * every answer here, success or error, is checked against the schema the document gives its route and status.
 */
describe('OpenAPI document: answers match their documented schemas', () => {
  let t: TestApp;
  let http: AxiosInstance;
  let receiver: WebhookReceiver;
  const problems: string[] = [];
  let admin: { headers: { authorization: string } };
  let tenant: { headers: { apikey: string } };
  let reseller: { headers: { authorization: string } };
  let instance: { name: string; id: string };

  const expectStatus = async (request: Promise<{ status: number; data: unknown }>, status: number) => {
    const res = await request;
    expect({ status: res.status, data: res.data }).toMatchObject({ status });
    return res;
  };

  beforeAll(async () => {
    t = await startTestApp({
      WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
      WEBHOOK_RETRY_SCHEDULE: '100ms',
    });
    receiver = await startWebhookReceiver();
    http = (await OpenApiConformance.load(t.url)).client(t.url, problems);
    const login = await expectStatus(http.post('/api/login', TEST_ADMIN), 200);
    admin = { headers: { authorization: `Bearer ${(login.data as { token: string }).token}` } };
    const client = await expectStatus(
      http.post('/api/admin/clients', { name: 'documented', rate_limit: 10000, ...UNPACED }, admin),
      201,
    );
    tenant = { headers: { apikey: (client.data as { api_key: string }).api_key } };
    const token = await expectStatus(http.post('/api/v1/auth/token', null, tenant), 200);
    reseller = { headers: { authorization: `Bearer ${(token.data as { token: string }).token}` } };
    const created = await expectStatus(
      http.post(`${V1}/reseller/sub-instances`, { instanceName: 'documented-1' }, reseller),
      201,
    );
    instance = { name: 'documented-1', id: (created.data as { instance_id: string }).instance_id };
  });
  afterEach(() => {
    expect(problems.splice(0)).toEqual([]);
  });
  afterAll(async () => {
    await receiver.close();
    await t.close();
  });

  it('health and the admin API', async () => {
    await expectStatus(http.get('/health'), 200);
    await expectStatus(http.get('/health/ready'), 200);
    await expectStatus(http.post('/api/login', { ...TEST_ADMIN, password: 'not-the-password' }), 401);
    await expectStatus(http.post('/api/login', {}), 400);

    const clients = await expectStatus(http.get('/api/admin/clients', admin), 200);
    const id = (clients.data as { clients: { id: number }[] }).clients[0]!.id;
    await expectStatus(http.get(`/api/admin/clients/${id}`, admin), 200);
    await expectStatus(http.patch(`/api/admin/clients/${id}`, { name: 'documented again' }, admin), 200);
    await expectStatus(http.get('/api/admin/clients/999999', admin), 404);
    await expectStatus(http.get('/api/admin/clients', { params: { limit: 0 }, ...admin }), 400);
    await expectStatus(http.get('/api/admin/clients'), 401);

    const audit = await expectStatus(http.get('/api/admin/audit', { params: { limit: 2 }, ...admin }), 200);
    const cursor = (audit.data as { next_cursor: string }).next_cursor;
    await expectStatus(http.get('/api/admin/audit', { params: { cursor }, ...admin }), 200);
    await expectStatus(http.get('/api/admin/audit', { params: { cursor: 'x' }, ...admin }), 400);

    await expectStatus(
      http.post('/api/admin/instances', { client_id: id, instanceName: 'documented-admin' }, admin),
      201,
    );
    await expectStatus(http.get('/api/admin/instances', admin), 200);
    await expectStatus(http.post(`/api/admin/instances/${instance.id}/rotate-webhook-secret`, {}, admin), 200);
    await expectStatus(http.post(`/api/admin/clients/${id}/rotate-key`, { grace_seconds: 600 }, admin), 200);
  });

  it('instances: reseller routes, QR code with and without a number, status, restart, log out', async () => {
    await expectStatus(http.get(`${V1}/reseller/sub-instances`, reseller), 200);
    await expectStatus(http.get(`${V1}/reseller/sub-instances/${instance.name}`, reseller), 200);
    await expectStatus(http.get(`${V1}/reseller/sub-instances/never-created`, reseller), 404);
    await expectStatus(http.get(`${V1}/reseller/sub-instances`, tenant), 401);
    await expectStatus(http.get(`${V1}/status/${instance.name}`, { headers: { apikey: 'nope' } }), 403);
    await expectStatus(http.post(`${V1}/reseller/sub-instances/${instance.name}/rotate-key`, {}, reseller), 200);

    const spare = 'documented-2';
    await expectStatus(http.post(`${V1}/reseller/sub-instances`, { instanceName: spare }, reseller), 201);
    await expectStatus(http.get(`${V1}/qrcode/${spare}`, { params: { number: '0712345678' }, ...tenant }), 200);
    await expectStatus(http.delete(`${V1}/reseller/sub-instances/${spare}`, reseller), 204);

    await expectStatus(http.get(`${V1}/qrcode/${instance.name}`, tenant), 200);
    await expectStatus(http.post(`${V1}/instances/${instance.name}/restart`, null, tenant), 200);
    t.sim.scan(instance.name);
    await expectStatus(http.get(`${V1}/status/${instance.name}`, tenant), 200);
    await expectStatus(http.post(`${V1}/instances/${instance.name}/logout`, null, tenant), 200);
    await expectStatus(http.post(`${V1}/instances/${instance.name}/logout`, null, tenant), 400);
    await expectStatus(http.post(`${V1}/instances/${instance.name}/restart`, null, tenant), 502);
    // The logout restricted the instance (the upstream's close 401): sends wait until the gateway hears it is open.
    const restricted = await waitFor(
      async () => (await http.get(`${V1}/status/${instance.name}`, tenant)).data.restriction ?? undefined,
      5000,
      'the restriction',
    );
    expect(restricted).toMatchObject({ reason: 'logged_out', status_reason: 401 });
    t.sim.scan(instance.name);
    await waitFor(
      async () => (await http.get(`${V1}/status/${instance.name}`, tenant)).data.restriction === null,
      5000,
      'the restriction to lift',
    );
  });

  it('messages, stats, number checks and webhook deliveries', async () => {
    receiver.respondWith(500);
    const hook = { url: `${receiver.url}/hook`, events: ['MESSAGES_UPDATE'] };
    await expectStatus(http.put(`${V1}/webhook/${instance.name}`, hook, tenant), 200);
    await expectStatus(http.get(`${V1}/webhook/${instance.name}`, tenant), 200);
    const text = { instanceName: instance.name, number: '0712345678', text: 'Hello' };
    await expectStatus(http.post(`${V1}/send`, text, tenant), 201);
    await expectStatus(http.post(`${V1}/send`, { ...text, number: '12' }, tenant), 400);
    await expectStatus(
      http.post(`${V1}/check-numbers`, { instanceName: instance.name, numbers: ['0712345678'] }, tenant),
      200,
    );

    await expectStatus(http.get(`${V1}/messages`, { params: { limit: 1 }, ...tenant }), 200);
    await expectStatus(http.get(`${V1}/messages`, { params: { status: 'lost' }, ...tenant }), 400);
    await expectStatus(http.get(`${V1}/messages/export`, { params: { format: 'xml' }, ...tenant }), 400);
    await expectStatus(http.get(`${V1}/stats`, tenant), 200);

    // The receiver fails every attempt; with one retry 100 ms apart the deliveries die quickly.
    const dead = await waitFor(async () => {
      const res = await http.get(`${V1}/webhooks/deliveries`, { params: { status: 'dead' }, ...tenant });
      const rows = (res.data as { deliveries: { id: string }[] }).deliveries;
      return rows.length > 0 ? rows : undefined;
    }, 15000);
    receiver.respondWith(200);
    await expectStatus(http.post(`${V1}/webhooks/deliveries/${dead[0]!.id}/redeliver`, null, tenant), 202);
    const since = new Date(Date.now() - 3600_000).toISOString();
    await expectStatus(http.post(`${V1}/webhooks/deliveries/redeliver`, { since }, tenant), 202);
    await expectStatus(http.get(`${V1}/webhooks/deliveries`, tenant), 200);
    await expectStatus(http.post(`${V1}/webhooks/deliveries/${instance.id}/redeliver`, null, tenant), 404);
  });

  it('bulk: create, list, details, pause, resume, cancel', async () => {
    const body = { instanceName: instance.name, recipients: ['0712340001', '0712', '0712340002'], message: 'Hi' };
    const created = await expectStatus(http.post(`${V1}/send-bulk`, body, tenant), 202);
    const id = (created.data as { bulk_id: string }).bulk_id;
    await expectStatus(http.get(`${V1}/send-bulk`, tenant), 200);
    await expectStatus(http.get(`${V1}/send-bulk/${id}`, { params: { limit: 1 }, ...tenant }), 200);
    const paused = await http.post(`${V1}/send-bulk/${id}/pause`, null, tenant);
    expect([200, 409]).toContain(paused.status);
    if (paused.status === 200) await expectStatus(http.post(`${V1}/send-bulk/${id}/resume`, null, tenant), 200);
    await waitFor(async () => {
      const res = await http.get(`${V1}/send-bulk/${id}`, tenant);
      return (res.data as { status: string }).status === 'completed';
    }, 15000);
    await expectStatus(http.get(`${V1}/send-bulk/${id}`, tenant), 200);
    await expectStatus(http.post(`${V1}/send-bulk/${id}/cancel`, null, tenant), 409);
    await expectStatus(http.get(`${V1}/send-bulk/${instance.id}`, tenant), 404);
  });
});
