import { AxiosInstance } from 'axios';
import { adminToken, createClient, TestClient } from '../factories/client.factory';
import { createInstance, resellerToken, TestInstance } from '../factories/instance.factory';
import { OpenApiConformance } from '../setup/openapi-conformance';
import { startTestApp, TestApp } from '../setup/test-app';
import { waitFor } from '../setup/wait-for';

const V1 = '/api/v1/whatsapp';

/** The v1 routes a browser dashboard needs beyond the reference's: every answer is also checked against the document. */
describe('dashboard routes: restart, log out, pairing code, bulk list', () => {
  let t: TestApp;
  let http: AxiosInstance;
  const problems: string[] = [];
  let admin: string;
  let client: TestClient;
  let jwt: string;
  const key = (apikey: string) => ({ headers: { apikey } });
  const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
  const upstream = (name: string) => t.sim.requests().filter((r) => r.path.endsWith(`/${name}`));

  beforeAll(async () => {
    t = await startTestApp();
    http = (await OpenApiConformance.load(t.url)).client(t.url, problems);
    admin = await adminToken(http);
    client = await createClient(http, admin, { max_instances: 100, rate_limit: 10000 });
    jwt = await resellerToken(http, client);
  });
  afterEach(() => {
    expect(problems.splice(0)).toEqual([]);
  });
  afterAll(() => t.close());

  describe('POST /instances/{instanceName}/restart', () => {
    it('restarts the session upstream with the instance’s token and answers the state afterwards', async () => {
      const instance = await createInstance(http, jwt);
      expect((await http.get(`${V1}/qrcode/${instance.name}`, bearer(jwt))).data.state).toBe('connecting');

      const res = await http.post(`${V1}/instances/${instance.name}/restart`, null, bearer(jwt));
      expect(res.status).toBe(200);
      expect(res.data).toEqual({ instance: instance.name, state: 'connecting' });
      const [restart] = upstream(instance.name).filter((r) => r.path === `/instance/restart/${instance.name}`);
      expect(restart).toMatchObject({ method: 'POST', headers: { apikey: t.sim.instance(instance.name)!.token } });

      // The restart's QR is the running connection's: the next QR request does not connect once more.
      t.sim.requests().clear();
      const qr = await http.get(`${V1}/qrcode/${instance.name}`, key(client.apiKey));
      expect(qr.data).toMatchObject({ state: 'connecting', code: expect.any(String) });
      expect(upstream(instance.name).filter((r) => r.path.startsWith('/instance/connect/'))).toHaveLength(0);

      t.sim.scan(instance.name);
      const open = await http.post(`${V1}/instances/${instance.name}/restart`, null, key(instance.apiKey));
      expect(open.data).toEqual({ instance: instance.name, state: 'open' });
    });

    it('answers the upstream’s failure to restart a closed instance as a 502 that says what failed', async () => {
      const instance = await createInstance(http, jwt);
      const res = await http.post(`${V1}/instances/${instance.name}/restart`, null, bearer(jwt));
      expect(res.status).toBe(502);
      expect(res.data.message).toMatch(/restart the instance/);
      expect(res.data.message).not.toContain('[object Object]');
    });
  });

  describe('POST /instances/{instanceName}/logout', () => {
    it('logs the account out, answers close, and the next QR request connects anew', async () => {
      const instance = await createInstance(http, jwt);
      await http.get(`${V1}/qrcode/${instance.name}`, bearer(jwt));
      t.sim.scan(instance.name);
      // The connect's qrcode.updated and the scan's open are posted concurrently: a QR event handled after the logout
      // would mark the connection running again, so the logout waits until the gateway has answered both.
      const delivered = (event: string, state?: string) =>
        t.sim
          .webhookDeliveries()
          .some(
            (d) =>
              d.instance === instance.name &&
              d.event === event &&
              d.statusCode !== undefined &&
              (state === undefined || (d.body.data as { state?: string }).state === state),
          );
      await waitFor(
        () => delivered('qrcode.updated') && delivered('connection.update', 'open'),
        5000,
        'the scan events',
      );

      const res = await http.post(`${V1}/instances/${instance.name}/logout`, null, key(client.apiKey));
      expect(res.status).toBe(200);
      expect(res.data).toEqual({ instance: instance.name, state: 'close' });
      expect(t.sim.instance(instance.name)!.state).toBe('close');
      const logout = upstream(instance.name).find((r) => r.path === `/instance/logout/${instance.name}`);
      expect(logout).toMatchObject({ method: 'DELETE', headers: { apikey: t.sim.instance(instance.name)!.token } });

      t.sim.requests().clear();
      const qr = await http.get(`${V1}/qrcode/${instance.name}`, bearer(jwt));
      expect(qr.data).toMatchObject({ state: 'connecting', base64: expect.stringMatching(/^data:image\/png/) });
      expect(upstream(instance.name).filter((r) => r.path === `/instance/connect/${instance.name}`)).toHaveLength(1);
    });

    it('answers 400 for an instance that is not connected, as the upstream does', async () => {
      const instance = await createInstance(http, jwt);
      const res = await http.post(`${V1}/instances/${instance.name}/logout`, null, bearer(jwt));
      expect(res.status).toBe(400);
      expect(res.data.message).toMatch(/not connected/);
    });
  });

  describe('GET /qrcode/{instanceName}?number=', () => {
    it('asks the upstream for a pairing code for the number, normalised as sends are', async () => {
      const instance = await createInstance(http, jwt);
      const res = await http.get(`${V1}/qrcode/${instance.name}`, {
        params: { number: '0712 345 678' },
        ...bearer(jwt),
      });
      expect(res.status).toBe(200);
      expect(res.data).toMatchObject({ instance: instance.name, state: 'connecting', code: expect.any(String) });
      expect(res.data.pairing_code).toMatch(/^[A-Z0-9]{8}$/);
      expect(res.data.pairingCode).toBe(res.data.pairing_code);
      const connects = upstream(instance.name).filter((r) => r.path === `/instance/connect/${instance.name}`);
      expect(connects.map((r) => r.query)).toEqual([{ number: '254712345678' }]);

      // While that connection runs: the same number gets its code again, another number none, no new connect.
      const again = await http.get(`${V1}/qrcode/${instance.name}`, {
        params: { number: '+254712345678' },
        ...key(client.apiKey),
      });
      expect(again.data.pairing_code).toBe(res.data.pairing_code);
      const other = await http.get(`${V1}/qrcode/${instance.name}`, {
        params: { number: '0712345679' },
        ...bearer(jwt),
      });
      expect(other.data).toMatchObject({ state: 'connecting', pairing_code: null });
      const plain = await http.get(`${V1}/qrcode/${instance.name}`, bearer(jwt));
      expect(plain.data).not.toHaveProperty('pairing_code');
      expect(upstream(instance.name).filter((r) => r.path === `/instance/connect/${instance.name}`)).toHaveLength(1);

      t.sim.scan(instance.name);
      const open = await http.get(`${V1}/qrcode/${instance.name}`, {
        params: { number: '0712345678' },
        ...bearer(jwt),
      });
      expect(open.data).toEqual({
        instance: instance.name,
        state: 'open',
        base64: null,
        code: null,
        pairingCode: null,
        count: 0,
        pairing_code: null,
      });
    });

    it('answers 400 for a number that is not a phone number, before any upstream call', async () => {
      const instance = await createInstance(http, jwt);
      t.sim.requests().clear();
      for (const number of ['12ab', '120363000000000001@g.us']) {
        const res = await http.get(`${V1}/qrcode/${instance.name}`, { params: { number }, ...bearer(jwt) });
        expect(res.status).toBe(400);
        expect(res.data.message).toMatch(/^number: /);
      }
      expect(upstream(instance.name)).toHaveLength(0);
    });
  });

  it('answers 404 for another client’s instance on every route, before any upstream call', async () => {
    const mine = await createInstance(http, jwt);
    const sibling = await createInstance(http, jwt);
    const stranger = await createClient(http, admin);
    const strangerJwt = await resellerToken(http, stranger);
    t.sim.scan(mine.name);
    t.sim.requests().clear();
    const calls = [
      (auth: object) => http.post(`${V1}/instances/${mine.name}/restart`, null, auth),
      (auth: object) => http.post(`${V1}/instances/${mine.name}/logout`, null, auth),
      (auth: object) => http.get(`${V1}/qrcode/${mine.name}`, { params: { number: '0712345678' }, ...auth }),
    ];
    for (const call of calls) {
      for (const auth of [key(stranger.apiKey), bearer(strangerJwt), key(sibling.apiKey)]) {
        const res = await call(auth);
        expect(res.status).toBe(404);
        expect(res.data.message).toBe(`Instance "${mine.name}" does not exist`);
      }
    }
    expect(upstream(mine.name)).toHaveLength(0);
    expect(t.sim.instance(mine.name)!.state).toBe('open');
  });

  describe('GET /send-bulk', () => {
    let a: TestInstance;
    let b: TestInstance;
    let bulkIds: { a: string[]; b: string[] };
    let cancelled: string;

    const send = async (instance: TestInstance) => {
      const res = await http.post(
        `${V1}/send-bulk`,
        { instanceName: instance.name, recipients: ['254712340001', '254712340002'], message: 'Hello' },
        key(client.apiKey),
      );
      expect(res.status).toBe(202);
      return res.data.bulk_id as string;
    };
    const list = (params: Record<string, string | number> = {}, auth = key(client.apiKey)) =>
      http.get(`${V1}/send-bulk`, { params, ...auth });

    beforeAll(async () => {
      a = await createInstance(http, jwt);
      b = await createInstance(http, jwt);
      bulkIds = { a: [await send(a), await send(a), await send(a)], b: [await send(b)] };
      cancelled = bulkIds.a[1]!;
      await http.post(`${V1}/send-bulk/${cancelled}/cancel`, null, key(client.apiKey));
      expect(problems.splice(0)).toEqual([]);
    });

    it('lists the client’s bulks newest first with their progress, page by page', async () => {
      const all = await list();
      expect(all.status).toBe(200);
      expect(all.data.next_cursor).toBeNull();
      const bulks = all.data.bulks as { bulk_id: string; created_at: string; total: number }[];
      expect(bulks.map((x) => x.bulk_id).sort()).toEqual([...bulkIds.a, ...bulkIds.b].sort());
      const times = bulks.map((x) => x.created_at);
      expect(times).toEqual([...times].sort().reverse());
      const one = (all.data.bulks as Record<string, unknown>[]).find((x) => x.bulk_id === cancelled)!;
      expect(Object.keys(one).sort()).toEqual(
        ['bulk_id', 'counts', 'created_at', 'instance', 'pause_reason', 'progress', 'status', 'total'].sort(),
      );
      expect(one).toMatchObject({ instance: a.name, status: 'cancelled', total: 2 });
      for (const bulk of all.data.bulks as { counts: Record<string, number>; total: number; progress: number }[]) {
        expect(Object.values(bulk.counts).reduce((sum, n) => sum + n, 0)).toBe(bulk.total);
        const unsettled = bulk.counts.pending! + bulk.counts.sending!;
        expect(bulk.progress).toBe(Number(((bulk.total - unsettled) / bulk.total).toFixed(4)));
      }

      const first = await list({ limit: 3 });
      expect(first.data.bulks).toHaveLength(3);
      expect(first.data.next_cursor).toEqual(expect.any(String));
      const second = await list({ limit: 3, cursor: first.data.next_cursor });
      expect(second.data.next_cursor).toBeNull();
      const paged = [...first.data.bulks, ...second.data.bulks].map((x: { bulk_id: string }) => x.bulk_id);
      expect(paged).toEqual(bulks.map((x) => x.bulk_id));
    });

    it('filters by instance and status', async () => {
      const ofA = await list({ instance: a.name });
      expect(ofA.data.bulks.map((x: { bulk_id: string }) => x.bulk_id).sort()).toEqual([...bulkIds.a].sort());
      const stopped = await list({ status: 'cancelled' });
      expect(stopped.data.bulks.map((x: { bulk_id: string }) => x.bulk_id)).toEqual([cancelled]);
      expect((await list({ instance: 'never-created' })).data.bulks).toEqual([]);
      expect((await list({ status: 'done' })).status).toBe(400);
      expect((await list({ cursor: 'bm90LWEtY3Vyc29y' })).status).toBe(400);
      expect((await list({ limit: 101 })).status).toBe(400);
    });

    it('shows another client none of them, and an instance key its own instance’s only', async () => {
      const stranger = await createClient(http, admin);
      expect((await list({}, key(stranger.apiKey))).data).toEqual({ bulks: [], next_cursor: null });
      expect((await list({ instance: a.name }, key(stranger.apiKey))).data.bulks).toEqual([]);
      const ofB = await list({}, key(b.apiKey));
      expect(ofB.data.bulks.map((x: { bulk_id: string }) => x.bulk_id)).toEqual(bulkIds.b);
      expect((await list({ instance: a.name }, key(b.apiKey))).data.bulks).toEqual([]);
    });

    it('needs credentials', async () => {
      const res = await http.get(`${V1}/send-bulk`);
      expect(res.status).toBe(401);
    });
  });
});
