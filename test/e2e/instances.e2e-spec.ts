import { AxiosInstance } from 'axios';
import { InstanceUpkeepService } from '@/modules/instances/instance-upkeep.service';
import { adminToken, createClient, httpClient, TestClient } from '../factories/client.factory';
import { createInstance, resellerToken, uniqueInstanceName } from '../factories/instance.factory';
import { queryDb, startTestApp, TestApp } from '../setup/test-app';
import { TEST_GLOBAL_KEY } from '../setup/test-env';

const SUB = '/api/v1/whatsapp/reseller/sub-instances';

describe('instances: reseller sub-instances, QR and status, tokens', () => {
  let t: TestApp;
  let http: AxiosInstance;
  let admin: string;
  let client: TestClient;
  let jwt: string;
  const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
  const key = (apikey: string) => ({ headers: { apikey } });
  const upstreamCalls = (name: string) =>
    t.sim.requests().filter((r) => r.path.includes(name) || r.query.instanceName === name);

  beforeAll(async () => {
    t = await startTestApp();
    http = httpClient(t.url);
    admin = await adminToken(http);
    client = await createClient(http, admin, { max_instances: 100, rate_limit: 10000 });
    jwt = await resellerToken(http, client);
  });
  afterAll(() => t.close());

  describe('create', () => {
    it('creates the instance upstream, points its webhook at the gateway, and answers the reference shape', async () => {
      const name = uniqueInstanceName();
      const res = await http.post(
        SUB,
        { instanceName: name, integration: 'WHATSAPP-BAILEYS', webhook_url: 'https://example.com/wa' },
        bearer(jwt),
      );
      expect(res.status).toBe(201);
      expect(Object.keys(res.data).sort()).toEqual([
        'api_key',
        'instance_id',
        'instance_name',
        'integration',
        'status',
        'webhook_secret',
      ]);
      expect(res.data).toMatchObject({ instance_name: name, integration: 'WHATSAPP-BAILEYS', status: 'pending' });
      expect(res.data.instance_id).toMatch(/^[0-9a-f-]{36}$/);
      expect(res.data.api_key).toMatch(/^[0-9a-f]{64}$/);
      expect(res.data.webhook_secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);

      const upstream = t.sim.instance(name)!;
      expect(upstream).toBeDefined();
      expect(upstream.webhook).toMatchObject({ url: `${t.url}/webhooks/evolution/${name}`, enabled: true });
      expect(upstream.webhook!.events.length).toBeGreaterThan(0);
      expect(JSON.stringify(res.data)).not.toContain(upstream.token);
      const create = t.sim
        .requests()
        .find((r) => r.path === '/instance/create' && (r.body as { instanceName: string }).instanceName === name)!;
      expect(create.headers.apikey).toBe(TEST_GLOBAL_KEY);
      // Nothing connects before the first QR request (a connect makes the upstream retry until the QR is scanned).
      expect(create.body).toMatchObject({ qrcode: false, integration: 'WHATSAPP-BAILEYS' });
      expect(t.sim.requests().filter((r) => r.path === `/instance/connect/${name}`)).toHaveLength(0);
    });

    it('needs a reseller JWT: an API key gets 401', async () => {
      const res = await http.post(SUB, { instanceName: uniqueInstanceName() }, key(client.apiKey));
      expect(res.status).toBe(401);
      expect(res.data.message).toMatch(/Authorization: Bearer/);
    });

    it('rejects invalid names and integrations, naming the field', async () => {
      const bad = await http.post(SUB, { instanceName: 'has spaces', integration: 'FAX' }, bearer(jwt));
      expect(bad.status).toBe(400);
      expect(bad.data.message).toContain('instanceName: must be 2-64 letters');
      expect(bad.data.message).toContain('integration: must be one of');
      const uuidLike = await http.post(SUB, { instanceName: '0b7d6a4e-5f8f-4c1e-9a3e-2f4b6c8d0e1f' }, bearer(jwt));
      expect(uuidLike.status).toBe(400);
      expect(uuidLike.data.message).toBe('instanceName: must not have the form of a UUID');
    });

    it('answers 409 for a name already in use, here or only upstream, and leaves nothing behind', async () => {
      const existing = await createInstance(http, jwt);
      const again = await http.post(SUB, { instanceName: existing.name }, bearer(jwt));
      expect(again.status).toBe(409);
      expect(again.data.message).toBe(`Instance name "${existing.name}" is already in use`);

      const otherClient = await createClient(http, admin);
      const fromOther = await http.post(
        SUB,
        { instanceName: existing.name },
        bearer(await resellerToken(http, otherClient)),
      );
      expect(fromOther.status).toBe(409);

      const upstreamOnly = uniqueInstanceName('foreign');
      await http.post(
        `${t.sim.url}/instance/create`,
        { instanceName: upstreamOnly, integration: 'WHATSAPP-BAILEYS' },
        key(TEST_GLOBAL_KEY),
      );
      const clash = await http.post(SUB, { instanceName: upstreamOnly }, bearer(jwt));
      expect(clash.status).toBe(409);
      expect(t.sim.instance(upstreamOnly)).toBeDefined();
      const rows = await queryDb(t, 'SELECT id FROM instances WHERE name = $1', [upstreamOnly]);
      expect(rows).toHaveLength(0);
    });

    it('deletes what a timed-out create may have left upstream', async () => {
      const name = uniqueInstanceName('slow');
      t.sim.addFault({ route: 'POST /webhook/set', count: 1, timeoutMs: 20000 });
      const res = await http.post(SUB, { instanceName: name }, bearer(jwt));
      expect(res.status).toBe(504);
      expect(t.sim.instance(name)).toBeUndefined();
      expect((await http.post(SUB, { instanceName: name }, bearer(jwt))).status).toBe(201);
    }, 20000);

    it('rolls back when a step after the upstream create fails', async () => {
      const name = uniqueInstanceName('rollback');
      t.sim.addFault({ route: 'POST /webhook/set', count: 1, status: 500 });
      const res = await http.post(SUB, { instanceName: name }, bearer(jwt));
      expect(res.status).toBe(502);
      expect(res.data).toMatchObject({ statusCode: 502, error: 'Bad Gateway' });
      expect(t.sim.instance(name)).toBeUndefined();
      expect(await queryDb(t, 'SELECT id FROM instances WHERE name = $1', [name])).toHaveLength(0);

      const retry = await http.post(SUB, { instanceName: name }, bearer(jwt));
      expect(retry.status).toBe(201);
    });

    it('enforces the client’s max_instances', async () => {
      const small = await createClient(http, admin, { max_instances: 1 });
      const smallJwt = await resellerToken(http, small);
      await createInstance(http, smallJwt);
      const res = await http.post(SUB, { instanceName: uniqueInstanceName() }, bearer(smallJwt));
      expect(res.status).toBe(409);
      expect(res.data.message).toBe('Instance limit reached: this client may own at most 1 instances');
    });

    it('stores the upstream token encrypted', async () => {
      const created = await createInstance(http, jwt);
      const token = t.sim.instance(created.name)!.token;
      const rows = await queryDb(t, 'SELECT * FROM instances WHERE id = $1', [created.id]);
      expect(JSON.stringify(rows)).not.toContain(token);
      expect(JSON.stringify(rows)).not.toContain(created.webhookSecret.slice(6));
      expect(rows[0]!.token_encrypted).toMatch(/^v1\./);
    });
  });

  describe('list, get, delete', () => {
    it('lists only the client’s own instances', async () => {
      const mine = await createInstance(http, jwt);
      const other = await createClient(http, admin);
      const theirs = await createInstance(http, await resellerToken(http, other));
      const res = await http.get(SUB, bearer(jwt));
      expect(res.status).toBe(200);
      const names = res.data.instances.map((i: { instance_name: string }) => i.instance_name);
      expect(names).toContain(mine.name);
      expect(names).not.toContain(theirs.name);
      expect(res.data.total).toBe(res.data.instances.length);
    });

    it('gets details with the live state, by id or by name', async () => {
      const created = await createInstance(http, jwt);
      t.sim.scan(created.name);
      for (const ref of [created.id, created.name]) {
        const res = await http.get(`${SUB}/${ref}`, bearer(jwt));
        expect(res.status).toBe(200);
        expect(res.data).toMatchObject({
          instance_id: created.id,
          instance_name: created.name,
          state: 'open',
          status: 'open',
        });
      }
    });

    it('deletes upstream and locally; the name can be used again; logs of it stay possible', async () => {
      const created = await createInstance(http, jwt);
      const res = await http.delete(`${SUB}/${created.id}`, bearer(jwt));
      expect(res.status).toBe(204);
      expect(t.sim.instance(created.name)).toBeUndefined();
      expect((await http.get(`${SUB}/${created.id}`, bearer(jwt))).status).toBe(404);
      expect((await http.delete(`${SUB}/${created.id}`, bearer(jwt))).status).toBe(404);
      expect(await queryDb(t, 'SELECT deleted_at FROM instances WHERE id = $1', [created.id])).toEqual([
        { deleted_at: expect.any(Date) },
      ]);
      expect((await http.get(`/api/v1/whatsapp/status/${created.name}`, key(created.apiKey))).status).toBe(403);
      expect((await http.post(SUB, { instanceName: created.name }, bearer(jwt))).status).toBe(201);
    });

    it('tolerates an instance the upstream already lost when deleting', async () => {
      const created = await createInstance(http, jwt);
      await http.delete(`${t.sim.url}/instance/delete/${created.name}`, key(TEST_GLOBAL_KEY));
      expect((await http.delete(`${SUB}/${created.name}`, bearer(jwt))).status).toBe(204);
    });
  });

  describe('QR code and status', () => {
    it('walks the states: QR while connecting, state once open, close and refused', async () => {
      const created = await createInstance(http, jwt);
      const qr = await http.get(`/api/v1/whatsapp/qrcode/${created.name}`, key(client.apiKey));
      expect(qr.status).toBe(200);
      expect(qr.data).toMatchObject({ instance: created.name, state: 'connecting', count: expect.any(Number) });
      expect(qr.data.base64).toMatch(/^data:image\/png;base64,/);
      expect(qr.data.code).toEqual(expect.any(String));

      t.sim.scan(created.name);
      const connected = await http.get(`/api/v1/whatsapp/qrcode/${created.name}`, key(client.apiKey));
      expect(connected.data).toEqual({
        instance: created.name,
        state: 'open',
        base64: null,
        code: null,
        pairingCode: null,
        count: 0,
      });
      expect((await http.get(`/api/v1/whatsapp/status/${created.name}`, key(client.apiKey))).data).toEqual({
        instance: created.name,
        state: 'open',
        restriction: null,
      });

      for (const state of ['close', 'refused'] as const) {
        t.sim.setState(created.name, state);
        const res = await http.get(`/api/v1/whatsapp/status/${created.name}`, bearer(jwt));
        // Whether the close's restriction is stored yet depends on its webhook: instance-restriction.e2e-spec.ts.
        expect(res.data).toMatchObject({ instance: created.name, state });
        const row = await queryDb(t, 'SELECT status FROM instances WHERE id = $1', [created.id]);
        expect(row[0]!.status).toBe(state);
        // A closed instance starts a new connection and answers a fresh QR; a refused one says so, with no QR.
        const again = await http.get(`/api/v1/whatsapp/qrcode/${created.name}`, key(client.apiKey));
        expect(again.status).toBe(200);
        if (state === 'close') {
          expect(again.data).toMatchObject({
            instance: created.name,
            state: 'connecting',
            base64: expect.stringMatching(/^data:image\/png;base64,/),
          });
        } else {
          expect(again.data).toEqual({
            instance: created.name,
            state: 'refused',
            base64: null,
            code: null,
            pairingCode: null,
            count: 0,
          });
        }
      }
    });

    it('turns the upstream’s HTTP 200 {error: true} into a real error', async () => {
      const created = await createInstance(http, jwt);
      t.sim.addFault({
        route: `GET /instance/connect/${created.name}`,
        count: 1,
        status: 200,
        body: { error: true, message: '[object Object]' },
      });
      const res = await http.get(`/api/v1/whatsapp/qrcode/${created.name}`, key(client.apiKey));
      expect(res.status).toBe(502);
      expect(res.data.message).not.toContain('[object Object]');
      expect(res.data.message).toMatch(/fetch a QR code/);
    });

    it('accepts the instance key for its own instance only', async () => {
      const a = await createInstance(http, jwt);
      const b = await createInstance(http, jwt);
      expect((await http.get(`/api/v1/whatsapp/status/${a.name}`, key(a.apiKey))).status).toBe(200);
      t.sim.requests().clear();
      const res = await http.get(`/api/v1/whatsapp/status/${b.name}`, key(a.apiKey));
      expect(res.status).toBe(404);
      expect(upstreamCalls(b.name)).toHaveLength(0);
    });

    it('answers 400 for a malformed name and 404 for an unknown one', async () => {
      expect((await http.get('/api/v1/whatsapp/status/bad%20name', key(client.apiKey))).status).toBe(400);
      const missing = await http.get('/api/v1/whatsapp/status/never-created', key(client.apiKey));
      expect(missing.status).toBe(404);
      expect(missing.data.message).toBe('Instance "never-created" does not exist');
    });
  });

  describe('instance key rotation', () => {
    const status = (name: string, apikey: string) =>
      http.get(`/api/v1/whatsapp/status/${name}`, key(apikey)).then((r) => r.status);

    it('keeps the old key for the grace period, ends it at once without one, and audits each rotation', async () => {
      const created = await createInstance(http, jwt);
      const graced = await http.post(`${SUB}/${created.name}/rotate-key`, { grace_seconds: 600 }, bearer(jwt));
      expect(graced.status).toBe(200);
      expect(Object.keys(graced.data).sort()).toEqual(['api_key', 'instance_id', 'previous_key_expires_at']);
      expect(graced.data.api_key).toMatch(/^[0-9a-f]{64}$/);
      expect(Date.parse(graced.data.previous_key_expires_at) - Date.now()).toBeGreaterThan(590_000);
      expect(await status(created.name, created.apiKey)).toBe(200);
      expect(await status(created.name, graced.data.api_key)).toBe(200);

      const now = await http.post(`/api/admin/instances/${created.id}/rotate-key`, {}, bearer(admin));
      expect(now.status).toBe(200);
      expect(await status(created.name, created.apiKey)).toBe(403);
      expect(await status(created.name, graced.data.api_key)).toBe(403);
      expect(await status(created.name, now.data.api_key)).toBe(200);

      const audit = await http.get(
        `/api/admin/audit?client_id=${client.id}&action=instance.key_rotated`,
        bearer(admin),
      );
      const events = audit.data.events.filter((e: { target_id: string }) => e.target_id === created.id);
      expect(
        events.map((e: { actor_type: string; details: { grace_seconds: number } }) => [
          e.actor_type,
          e.details.grace_seconds,
        ]),
      ).toEqual([
        ['admin', 0],
        ['client', 600],
      ]);
      expect(JSON.stringify(audit.data)).not.toContain(now.data.api_key);
    });

    it('answers 404 for another client’s or a deleted instance, and 400 for a grace period over 7 days', async () => {
      const created = await createInstance(http, jwt);
      const other = await createClient(http, admin);
      const otherJwt = await resellerToken(http, other);
      expect((await http.post(`${SUB}/${created.id}/rotate-key`, {}, bearer(otherJwt))).status).toBe(404);
      expect((await http.post(`${SUB}/${created.id}/rotate-webhook-secret`, {}, bearer(otherJwt))).status).toBe(404);
      expect(await status(created.name, created.apiKey)).toBe(200);

      const tooLong = await http.post(`${SUB}/${created.id}/rotate-key`, { grace_seconds: 8 * 24 * 3600 }, bearer(jwt));
      expect(tooLong.status).toBe(400);
      expect(tooLong.data.message).toContain('grace_seconds');

      expect((await http.delete(`${SUB}/${created.id}`, bearer(jwt))).status).toBe(204);
      expect((await http.post(`/api/admin/instances/${created.id}/rotate-key`, {}, bearer(admin))).status).toBe(404);
      expect((await http.post(`/api/admin/instances/not-a-uuid/rotate-webhook-secret`, {}, bearer(admin))).status).toBe(
        404,
      );
    });
  });

  describe('auto-healing', () => {
    it('refreshes a rotated token once for 20 concurrent calls, all of which succeed', async () => {
      const created = await createInstance(http, jwt);
      t.sim.scan(created.name);
      await http.get(`/api/v1/whatsapp/status/${created.name}`, key(client.apiKey));
      t.sim.rotateToken(created.name);
      t.sim.requests().clear();

      const results = await Promise.all(
        Array.from({ length: 20 }, () => http.get(`/api/v1/whatsapp/status/${created.name}`, key(client.apiKey))),
      );
      expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
      const refreshes = t.sim
        .requests()
        .filter((r) => r.path === '/instance/fetchInstances' && r.query.instanceName === created.name);
      expect(refreshes).toHaveLength(1);
      expect(refreshes[0]!.headers.apikey).toBe(TEST_GLOBAL_KEY);

      const audit = await http.get(
        `/api/admin/audit?client_id=${client.id}&action=instance.token_refreshed`,
        bearer(admin),
      );
      expect(audit.data.events).toHaveLength(1);
    });

    it('heals a token the upstream refuses with 403 as with 401', async () => {
      const created = await createInstance(http, jwt);
      t.sim.scan(created.name);
      await http.get(`/api/v1/whatsapp/status/${created.name}`, key(client.apiKey));
      t.sim.rotateToken(created.name);
      // A server (or a proxy in front of it) that answers a stale token with 403 instead of 401.
      t.sim.addFault({
        route: `GET /instance/connectionState/${created.name}`,
        count: 1,
        status: 403,
        body: { status: 403, error: 'Forbidden', response: { message: 'Forbidden' } },
      });
      t.sim.requests().clear();

      const res = await http.get(`/api/v1/whatsapp/status/${created.name}`, key(client.apiKey));
      expect(res.status).toBe(200);
      expect(
        t.sim.requests().filter((r) => r.path === '/instance/fetchInstances' && r.query.instanceName === created.name),
      ).toHaveLength(1);
    });

    it('records drift and takes the upstream’s token during the periodic check', async () => {
      const created = await createInstance(http, jwt);
      t.sim.scan(created.name);
      await http.get(`/api/v1/whatsapp/status/${created.name}`, key(client.apiKey));
      t.sim.rotateToken(created.name);

      const result = await t.app.get(InstanceUpkeepService).checkDrift();
      expect(result.drifted).toBeGreaterThanOrEqual(1);
      const [row] = await queryDb(t, 'SELECT drift_note, status FROM instances WHERE id = $1', [created.id]);
      expect(row).toEqual({ drift_note: 'token changed upstream', status: 'open' });

      t.sim.requests().clear();
      expect((await http.get(`/api/v1/whatsapp/status/${created.name}`, key(client.apiKey))).status).toBe(200);
      expect(t.sim.requests().filter((r) => r.query.instanceName === created.name)).toHaveLength(0);
    });
  });

  describe('admin', () => {
    it('lists every instance with its client, and creates one for a client', async () => {
      const owner = await createClient(http, admin, { name: 'Owner Co' });
      const res = await http.post(
        '/api/admin/instances',
        { client_id: owner.id, instanceName: uniqueInstanceName('admin') },
        bearer(admin),
      );
      expect(res.status).toBe(201);
      const list = await http.get(`/api/admin/instances?client_id=${owner.id}`, bearer(admin));
      expect(list.status).toBe(200);
      expect(list.data.instances).toEqual([
        expect.objectContaining({ instance_id: res.data.instance_id, client_id: owner.id, client_name: 'Owner Co' }),
      ]);
      expect((await http.get('/api/admin/instances', bearer(jwt))).status).toBe(401);
    });

    it('deleting a client deletes its instances upstream and locally', async () => {
      const leaving = await createClient(http, admin);
      const created = await createInstance(http, await resellerToken(http, leaving));
      t.sim.scan(created.name);
      expect((await http.delete(`/api/admin/clients/${leaving.id}`, bearer(admin))).status).toBe(204);
      expect(t.sim.instance(created.name)).toBeUndefined();
      const list = await http.get(`/api/admin/instances?client_id=${leaving.id}`, bearer(admin));
      expect(list.data).toEqual({ instances: [], total: 0 });
    });

    it('answers 400, not 500, for ids too large to exist', async () => {
      expect((await http.get('/api/admin/clients/99999999999', bearer(admin))).status).toBe(400);
      expect((await http.get('/api/admin/instances?client_id=99999999999', bearer(admin))).status).toBe(400);
      expect(
        (await http.post('/api/admin/instances', { client_id: 99999999999, instanceName: 'x-big' }, bearer(admin)))
          .status,
      ).toBe(400);
    });
  });
});
