import { AxiosInstance } from 'axios';
import { adminToken, createClient, TestClient } from '../factories/client.factory';
import { createInstance, resellerToken, TestInstance } from '../factories/instance.factory';
import { OpenApiConformance } from '../setup/openapi-conformance';
import { startTestApp, TestApp } from '../setup/test-app';

const V1 = '/api/v1/whatsapp';

/** The v1 routes a browser dashboard needs beyond the reference's: every answer is also checked against the document. */
describe('dashboard routes: bulk list', () => {
  let t: TestApp;
  let http: AxiosInstance;
  const problems: string[] = [];
  let admin: string;
  let client: TestClient;
  let jwt: string;
  const key = (apikey: string) => ({ headers: { apikey } });

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
