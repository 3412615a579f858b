import { AxiosInstance } from 'axios';
import { UPSTREAM_WEBHOOK_TOKEN_HEADER } from '@/integrations/evolution/upstream-webhook';
import { InstanceUpkeepService } from '@/modules/instances/instance-upkeep.service';
import { adminToken, createClient, httpClient, TestClient } from '../factories/client.factory';
import { createInstance, resellerToken, TestInstance, uniqueInstanceName } from '../factories/instance.factory';
import { queryDb, startTestApp, TestApp, upstreamWebhookTokenOf } from '../setup/test-app';
import { TEST_GLOBAL_KEY } from '../setup/test-env';
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
    const hook = await http.put(
      `/api/v1/whatsapp/webhook/${instance.name}`,
      { url: `${receiver.url}/${instance.name}`, events },
      apikey,
    );
    expect(hook.status).toBe(200);
    return { client, jwt, instance, apikey };
  }

  const qr = (tenant: Tenant) => http.get(`/api/v1/whatsapp/qrcode/${tenant.instance.name}`, tenant.apikey);
  const connectCalls = (name: string) => t.sim.requests().filter((r) => r.path === `/instance/connect/${name}`).length;
  const createCalls = (name: string) =>
    t.sim
      .requests()
      .filter((r) => r.path === '/instance/create' && (r.body as { instanceName?: string }).instanceName === name);
  /** What the upstream posted to the gateway for this instance, with the gateway's answer. */
  const upstreamPosts = (name: string, event?: string) =>
    t.sim.webhookDeliveries().filter((d) => d.instance === name && (event === undefined || d.event === event));
  /** What the gateway stored for the tenant (each row is one signed delivery). */
  const forwarded = async (instanceId: string) =>
    (
      await queryDb(t, 'SELECT event, payload FROM webhook_deliveries WHERE instance_id = $1 ORDER BY created_at, id', [
        instanceId,
      ])
    ).map(
      (row) => `${row.event as string}:${String((row.payload as { data?: { state?: string } }).data?.state ?? '')}`,
    );

  describe('status polls while the upstream retries a connection', () => {
    it('tell the tenant about connecting once, however often the status is polled', async () => {
      t.sim.configure({ whatsappReachable: false, reconnectIntervalMs: 50 });
      const tn = await tenant();
      expect((await qr(tn)).data).toMatchObject({ state: 'connecting', count: 0 });
      const answered = () =>
        upstreamPosts(tn.instance.name, 'connection.update').filter((d) => d.statusCode === 200).length;
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
      await waitFor(
        async () => (await forwarded(tn.instance.id)).includes('connection.update:open'),
        5000,
        'open forwarded',
      );
      expect(await forwarded(tn.instance.id)).toEqual(['connection.update:connecting', 'connection.update:open']);
    });
  });

  describe('QR code while connecting', () => {
    it('does not start another upstream connection when one is running (WhatsApp unreachable)', async () => {
      t.sim.configure({ whatsappReachable: false, reconnectIntervalMs: 200, connectDelayMs: 300 });
      const tn = await tenant();
      // Three at once, while the first connect is still waiting for a QR, then two after it.
      const answers = await Promise.all([qr(tn), qr(tn), qr(tn)]);
      answers.push(await qr(tn), await qr(tn));
      for (const res of answers) {
        expect(res.status).toBe(200);
        expect(res.data).toEqual({
          instance: tn.instance.name,
          state: 'connecting',
          base64: null,
          code: null,
          pairingCode: null,
          count: 0,
        });
      }
      expect(connectCalls(tn.instance.name)).toBe(1);
      expect(t.sim.instance(tn.instance.name)!.reconnectLoops).toBe(1);
    });

    it('answers the current QR without a new connect, then the newer one qrcode.updated brought', async () => {
      const tn = await tenant();
      const first = await qr(tn);
      expect(first.data).toMatchObject({
        state: 'connecting',
        code: t.sim.instance(tn.instance.name)!.qr!.code,
        base64: expect.stringMatching(/^data:image\/png/),
      });
      const second = await qr(tn);
      expect(second.data).toEqual(first.data);
      expect(connectCalls(tn.instance.name)).toBe(1);

      // The upstream's next QR (it makes one about every 45 s) arrives as qrcode.updated.
      t.sim.setState(tn.instance.name, 'connecting');
      const next = t.sim.instance(tn.instance.name)!.qr!.code;
      expect(next).not.toBe(first.data.code);
      await waitFor(async () => (await qr(tn)).data.code === next, 5000, 'the newer QR');
      expect(connectCalls(tn.instance.name)).toBe(1);

      t.sim.scan(tn.instance.name);
      expect((await qr(tn)).data).toEqual({
        instance: tn.instance.name,
        state: 'open',
        base64: null,
        code: null,
        pairingCode: null,
        count: 0,
      });
    });

    it('connects again after a logout, whatever QR of the ended connection arrives late', async () => {
      const tn = await tenant();
      const stale = (await qr(tn)).data as { code: string };
      t.sim.scan(tn.instance.name);
      await waitFor(async () => (await forwarded(tn.instance.id)).includes('connection.update:open'), 5000, 'open');
      // The upstream made this QR before the logout; its post is late (it posts concurrently and retries).
      const madeBeforeLogout = new Date(Date.now() - 1).toISOString();
      expect((await http.post(`/api/v1/whatsapp/instances/${tn.instance.name}/logout`, {}, tn.apikey)).status).toBe(
        200,
      );
      await waitFor(async () => (await forwarded(tn.instance.id)).includes('connection.update:close'), 5000, 'close');
      const late = await http.post(
        `/webhooks/evolution/${tn.instance.name}`,
        { event: 'qrcode.updated', instance: tn.instance.name, data: { qrcode: stale }, date_time: madeBeforeLogout },
        { headers: { [UPSTREAM_WEBHOOK_TOKEN_HEADER]: await upstreamWebhookTokenOf(t, tn.instance.id) } },
      );
      expect(late.status).toBe(200);

      const again = await qr(tn);
      expect(again.data).toMatchObject({ state: 'connecting', code: t.sim.instance(tn.instance.name)!.qr!.code });
      expect(again.data.code).not.toBe(stale.code);
      expect(connectCalls(tn.instance.name)).toBe(2);
    });

    it('answers the QR of a create with qrcode:true without connecting again', async () => {
      const tn = await tenant(['CONNECTION_UPDATE'], { qrcode: true });
      const res = await qr(tn);
      expect(res.data).toMatchObject({ state: 'connecting', code: t.sim.instance(tn.instance.name)!.qr!.code });
      expect(connectCalls(tn.instance.name)).toBe(0);
    });
  });

  describe('create', () => {
    it('with qrcode:false (and by default) does not connect, on v1 and on the pass-through', async () => {
      t.sim.configure({ whatsappReachable: false, reconnectIntervalMs: 50 });
      const client = await createClient(http, admin, { rate_limit: 10000 });
      const jwt = await resellerToken(http, client);
      const v1 = uniqueInstanceName('noqr');
      const v1Default = uniqueInstanceName('noqr');
      const legacy = uniqueInstanceName('noqr');
      expect((await http.post(SUB, { instanceName: v1, qrcode: false }, bearer(jwt))).status).toBe(201);
      expect((await http.post(SUB, { instanceName: v1Default }, bearer(jwt))).status).toBe(201);
      const created = await http.post(
        '/instance/create',
        { instanceName: legacy, integration: 'WHATSAPP-BAILEYS', qrcode: false },
        key(client.apiKey),
      );
      expect(created.status).toBe(201);
      expect(created.data).not.toHaveProperty('qrcode');
      expect(created.data.instance.status).toBe('close');

      for (const name of [v1, v1Default, legacy]) {
        expect(createCalls(name).map((r) => (r.body as { qrcode: unknown }).qrcode)).toEqual([false]);
        expect(connectCalls(name)).toBe(0);
        expect(t.sim.instance(name)!.reconnectLoops).toBe(0);
        expect(upstreamPosts(name, 'connection.update')).toEqual([]);
      }
      const bad = await http.post(SUB, { instanceName: uniqueInstanceName(), qrcode: 'yes' }, bearer(jwt));
      expect(bad.status).toBe(400);
      expect(bad.data.message).toContain('qrcode');
    });

    it('on the pass-through with qrcode:true connects once: the QR comes with the create', async () => {
      t.sim.configure({ whatsappReachable: false, reconnectIntervalMs: 50 });
      const client = await createClient(http, admin, { rate_limit: 10000 });
      const name = uniqueInstanceName('qr');
      const created = await http.post(
        '/instance/create',
        { instanceName: name, integration: 'WHATSAPP-BAILEYS', qrcode: true },
        key(client.apiKey),
      );
      expect(created.status).toBe(201);
      expect(created.data.qrcode).toEqual({ count: 0 });
      expect(createCalls(name).map((r) => (r.body as { qrcode: unknown }).qrcode)).toEqual([true]);
      expect(connectCalls(name)).toBe(0);
      expect(t.sim.instance(name)!.reconnectLoops).toBe(1);
    });

    it('of a name the gateway just deleted waits out the upstream’s transient 403', async () => {
      t.sim.configure({ deleteLingerMs: 1500 });
      const tn = await tenant();
      expect((await http.delete(`${SUB}/${tn.instance.id}`, bearer(tn.jwt))).status).toBe(204);
      const started = Date.now();
      const again = await http.post(SUB, { instanceName: tn.instance.name }, bearer(tn.jwt));
      expect(again.status).toBe(201);
      expect(Date.now() - started).toBeLessThan(8000);
      // The tenant's first create, the re-create's refused attempt(s), and the one that went through.
      expect(createCalls(tn.instance.name).length).toBeGreaterThanOrEqual(3);
      const [row] = await queryDb(t, 'SELECT upstream_instance_id FROM instances WHERE id = $1', [
        again.data.instance_id,
      ]);
      expect(row!.upstream_instance_id).toBe(t.sim.instance(tn.instance.name)!.id);
    });

    it('of a name another upstream instance uses is still 409 at once', async () => {
      const client = await createClient(http, admin, { rate_limit: 10000 });
      const jwt = await resellerToken(http, client);
      const foreign = uniqueInstanceName('foreign');
      await http.post(
        `${t.sim.url}/instance/create`,
        { instanceName: foreign, integration: 'WHATSAPP-BAILEYS' },
        key(TEST_GLOBAL_KEY),
      );
      const started = Date.now();
      const res = await http.post(SUB, { instanceName: foreign }, bearer(jwt));
      expect(res.status).toBe(409);
      expect(Date.now() - started).toBeLessThan(1000);
      // The test's own create straight on the upstream, and the gateway's single attempt.
      expect(createCalls(foreign)).toHaveLength(2);
    });

    it('of a name the gateway deleted gives up with 409 when the upstream keeps it for longer than a few seconds', async () => {
      t.sim.configure({ deleteLingerMs: 60000 });
      const tn = await tenant();
      expect((await http.delete(`${SUB}/${tn.instance.id}`, bearer(tn.jwt))).status).toBe(204);
      const started = Date.now();
      const res = await http.post(SUB, { instanceName: tn.instance.name }, bearer(tn.jwt));
      expect(res.status).toBe(409);
      expect(Date.now() - started).toBeGreaterThan(2000);
      expect(Date.now() - started).toBeLessThan(10000);
      expect(
        await queryDb(t, 'SELECT id FROM instances WHERE name = $1 AND deleted_at IS NULL', [tn.instance.name]),
      ).toEqual([]);
    }, 20000);
  });

  describe('drift check', () => {
    it('does not call connecting (as the events say) against close (as fetchInstances says) drift', async () => {
      t.sim.configure({ whatsappReachable: false, reconnectIntervalMs: 50 });
      const retrying = await tenant();
      await qr(retrying);
      await waitFor(
        async () =>
          (await queryDb(t, 'SELECT status FROM instances WHERE id = $1', [retrying.instance.id]))[0]!.status ===
          'connecting',
        5000,
        'connecting',
      );
      const wrong = await tenant();
      await queryDb(t, "UPDATE instances SET status = 'open' WHERE id = $1", [wrong.instance.id]);

      await t.app.get(InstanceUpkeepService).checkDrift();
      const notes = await queryDb(t, 'SELECT id, drift_note FROM instances WHERE id = ANY($1::uuid[])', [
        [retrying.instance.id, wrong.instance.id],
      ]);
      const note = (id: string) => notes.find((r) => r.id === id)!.drift_note;
      expect(note(retrying.instance.id)).toBeNull();
      expect(note(wrong.instance.id)).toBe('state stored open, upstream lists close');
    });
  });

  describe('events after a delete', () => {
    const TRAIL = ['CONNECTION_UPDATE', 'LOGOUT_INSTANCE', 'REMOVE_INSTANCE'];

    /** The upstream's delete trail as the gateway subscribes to it (contract §11): remove, logout, close. */
    const trail = (name: string) =>
      upstreamPosts(name).filter(
        (d) =>
          d.event === 'remove.instance' ||
          d.event === 'logout.instance' ||
          (d.event === 'connection.update' && (d.body.data as { state?: string }).state === 'close'),
      );
    const trailDone = (name: string) => () =>
      trail(name).some((d) => d.event === 'connection.update' && (d.statusCode !== undefined || d.error !== undefined));

    it('are absorbed: the delete trail of a connecting instance reaches no tenant, and the upstream gets 200s', async () => {
      t.sim.configure({ whatsappReachable: false, reconnectIntervalMs: 20 });
      const tn = await tenant(TRAIL);
      await qr(tn);
      await waitFor(async () => (await forwarded(tn.instance.id)).length === 1, 5000, 'connecting forwarded');
      expect((await http.delete(`${SUB}/${tn.instance.id}`, bearer(tn.jwt))).status).toBe(204);

      await waitFor(trailDone(tn.instance.name), 5000, 'the end of the delete trail');
      expect(trail(tn.instance.name).map((d) => d.event)).toEqual([
        'remove.instance',
        'logout.instance',
        'connection.update',
      ]);
      expect(upstreamPosts(tn.instance.name).filter((d) => d.statusCode !== 200)).toEqual([]);
      expect(await forwarded(tn.instance.id)).toEqual(['connection.update:connecting']);
    });

    it('are absorbed: the delete trail of an open instance, which races the delete’s answer, reaches no tenant', async () => {
      // The upstream posts the trail while it answers the delete: without a mark set before the delete, part of it
      // would reach the tenant most of the time, so three instances make that certain to show.
      for (let i = 0; i < 3; i++) {
        const tn = await tenant(TRAIL);
        t.sim.scan(tn.instance.name);
        await waitFor(
          async () => (await forwarded(tn.instance.id)).includes('connection.update:open'),
          5000,
          'open forwarded',
        );
        const before = await forwarded(tn.instance.id);
        expect((await http.delete(`${SUB}/${tn.instance.id}`, bearer(tn.jwt))).status).toBe(204);
        await waitFor(trailDone(tn.instance.name), 5000, 'the end of the delete trail');
        expect(trail(tn.instance.name).map((d) => [d.event, d.statusCode])).toEqual([
          ['remove.instance', 200],
          ['logout.instance', 200],
          ['connection.update', 200],
        ]);
        expect(await forwarded(tn.instance.id)).toEqual(before);
      }
    });

    it('are absorbed when they come after the local delete', async () => {
      t.sim.configure({ deleteLingerMs: 300 });
      const tn = await tenant(TRAIL);
      t.sim.scan(tn.instance.name);
      await waitFor(
        async () => (await forwarded(tn.instance.id)).includes('connection.update:open'),
        5000,
        'open forwarded',
      );
      const before = await forwarded(tn.instance.id);
      expect((await http.delete(`${SUB}/${tn.instance.id}`, bearer(tn.jwt))).status).toBe(204);
      expect(trail(tn.instance.name)).toEqual([]);

      await waitFor(trailDone(tn.instance.name), 5000, 'the late delete trail');
      expect(trail(tn.instance.name).map((d) => [d.event, d.statusCode])).toEqual([
        ['remove.instance', 200],
        ['logout.instance', 200],
        ['connection.update', 200],
      ]);
      expect(await forwarded(tn.instance.id)).toEqual(before);
    });

    it('are absorbed, not given to the instance that took the name over', async () => {
      t.sim.configure({ deleteLingerMs: 300 });
      const tn = await tenant(TRAIL);
      // Every instance of the client reports to the receiver, the new one under the old name too.
      await http.patch(
        `/api/admin/clients/${tn.client.id}`,
        { webhook_url: `${receiver.url}/client-${tn.client.id}` },
        bearer(admin),
      );
      t.sim.scan(tn.instance.name);
      await waitFor(
        async () => (await forwarded(tn.instance.id)).includes('connection.update:open'),
        5000,
        'open forwarded',
      );
      expect((await http.delete(`${SUB}/${tn.instance.id}`, bearer(tn.jwt))).status).toBe(204);

      // The create retries until the upstream lets go of the name, which is when the old trail comes.
      const again = await http.post(SUB, { instanceName: tn.instance.name }, bearer(tn.jwt));
      expect(again.status).toBe(201);
      await waitFor(trailDone(tn.instance.name), 5000, 'the late delete trail');
      expect(trail(tn.instance.name).map((d) => [d.event, d.statusCode])).toEqual([
        ['remove.instance', 200],
        ['logout.instance', 200],
        ['connection.update', 200],
      ]);
      expect(await forwarded(again.data.instance_id as string)).toEqual([]);
    });
  });
});
