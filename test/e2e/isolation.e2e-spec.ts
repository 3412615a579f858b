import { AxiosInstance, Method } from 'axios';
import { adminToken, createClient, httpClient, TestClient } from '../factories/client.factory';
import { createInstance, resellerToken, TestInstance } from '../factories/instance.factory';
import { startTestApp, TestApp } from '../setup/test-app';

/**
 * The isolation walk: every route that names an instance, message or bulk, called with client B's credentials on
 * client A's resources, must answer 404 without calling the upstream. The last test compares this table with the
 * OpenAPI document, so a new route that names a resource cannot be added without joining the walk.
 */
interface WalkedRoute {
  method: Method;
  /** OpenAPI path template, as the document lists it. */
  template: string;
  /** The path for A's resources. */
  path: (a: TestInstance & { bulkId: string }) => string;
  body?: Record<string, unknown>;
  /** Credentials B uses: its reseller JWT, its client API key, or the key of one of its own instances. */
  auth: 'jwt' | 'apikey' | 'instance-key';
}

const ROUTES: WalkedRoute[] = [
  { method: 'GET', template: '/api/v1/whatsapp/reseller/sub-instances/{id}', path: (a) => `/api/v1/whatsapp/reseller/sub-instances/${a.id}`, auth: 'jwt' },
  { method: 'GET', template: '/api/v1/whatsapp/reseller/sub-instances/{id}', path: (a) => `/api/v1/whatsapp/reseller/sub-instances/${a.name}`, auth: 'jwt' },
  { method: 'DELETE', template: '/api/v1/whatsapp/reseller/sub-instances/{id}', path: (a) => `/api/v1/whatsapp/reseller/sub-instances/${a.id}`, auth: 'jwt' },
  { method: 'GET', template: '/api/v1/whatsapp/qrcode/{instanceName}', path: (a) => `/api/v1/whatsapp/qrcode/${a.name}`, auth: 'apikey' },
  { method: 'GET', template: '/api/v1/whatsapp/qrcode/{instanceName}', path: (a) => `/api/v1/whatsapp/qrcode/${a.name}`, auth: 'jwt' },
  { method: 'GET', template: '/api/v1/whatsapp/status/{instanceName}', path: (a) => `/api/v1/whatsapp/status/${a.name}`, auth: 'apikey' },
  { method: 'GET', template: '/api/v1/whatsapp/status/{instanceName}', path: (a) => `/api/v1/whatsapp/status/${a.name}`, auth: 'jwt' },
  { method: 'GET', template: '/api/v1/whatsapp/status/{instanceName}', path: (a) => `/api/v1/whatsapp/status/${a.name}`, auth: 'instance-key' },
  { method: 'GET', template: '/api/v1/whatsapp/qrcode/{instanceName}', path: (a) => `/api/v1/whatsapp/qrcode/${a.name}`, auth: 'instance-key' },
  { method: 'GET', template: '/api/v1/whatsapp/send-bulk/{id}', path: (a) => `/api/v1/whatsapp/send-bulk/${a.bulkId}`, auth: 'apikey' },
  { method: 'GET', template: '/api/v1/whatsapp/send-bulk/{id}', path: (a) => `/api/v1/whatsapp/send-bulk/${a.bulkId}`, auth: 'instance-key' },
  { method: 'POST', template: '/api/v1/whatsapp/send-bulk/{id}/pause', path: (a) => `/api/v1/whatsapp/send-bulk/${a.bulkId}/pause`, auth: 'apikey' },
  { method: 'POST', template: '/api/v1/whatsapp/send-bulk/{id}/resume', path: (a) => `/api/v1/whatsapp/send-bulk/${a.bulkId}/resume`, auth: 'jwt' },
  { method: 'POST', template: '/api/v1/whatsapp/send-bulk/{id}/cancel', path: (a) => `/api/v1/whatsapp/send-bulk/${a.bulkId}/cancel`, auth: 'apikey' },
  // Routes that name an instance in their body.
  { method: 'POST', template: '/api/v1/whatsapp/send', path: () => '/api/v1/whatsapp/send', body: { text: 'x', number: '254712345678' }, auth: 'apikey' },
  { method: 'POST', template: '/api/v1/whatsapp/send-media', path: () => '/api/v1/whatsapp/send-media', body: { mediaType: 'image', media: 'https://example.com/a.jpg', number: '254712345678' }, auth: 'instance-key' },
  { method: 'POST', template: '/api/v1/whatsapp/send-bulk', path: () => '/api/v1/whatsapp/send-bulk', body: { recipients: ['254712345678'], message: 'x' }, auth: 'jwt' },
];

/** Admin routes are operator-wide by design and stay out of the walk. */
const OPERATOR_PREFIX = '/api/admin/';

describe('tenant isolation walk', () => {
  let t: TestApp;
  let http: AxiosInstance;
  let a: TestInstance & { bulkId: string };
  let b: TestClient;
  let bJwt: string;
  let bInstance: TestInstance;

  beforeAll(async () => {
    t = await startTestApp();
    http = httpClient(t.url);
    const admin = await adminToken(http);
    const clientA = await createClient(http, admin, { send_interval_ms: 60000, jitter_min_ms: 0, jitter_max_ms: 0 });
    const instanceA = await createInstance(http, await resellerToken(http, clientA));
    t.sim.scan(instanceA.name);
    // Two recipients an hour apart: the bulk stays running for the whole walk.
    const bulk = await http.post('/api/v1/whatsapp/send-bulk', { instanceName: instanceA.name, recipients: ['254712000001', '254712000002'], message: 'x' }, { headers: { apikey: clientA.apiKey } });
    a = { ...instanceA, bulkId: bulk.data.bulk_id };
    b = await createClient(http, admin);
    bJwt = await resellerToken(http, b);
    bInstance = await createInstance(http, bJwt);
  });
  afterAll(() => t.close());

  it.each(ROUTES.map((r) => [`${r.method} ${r.path({ id: '<A id>', name: '<A name>', bulkId: '<A bulk>' } as TestInstance & { bulkId: string })} with B's ${r.auth}`, r] as const))(
    '%s → 404, no upstream call',
    async (_, route) => {
      t.sim.requests().clear();
      const headers = {
        jwt: { authorization: `Bearer ${bJwt}` },
        apikey: { apikey: b.apiKey },
        'instance-key': { apikey: bInstance.apiKey },
      }[route.auth];
      const data = route.body ? { ...route.body, instanceName: a.name } : undefined;
      const res = await http.request({ method: route.method, url: route.path(a), data, headers });
      expect(res.status).toBe(404);
      expect(res.data).toMatchObject({ statusCode: 404, error: 'Not Found' });
      expect(t.sim.requests().filter((r) => r.path.includes(a.name) || r.query.instanceName === a.name)).toHaveLength(0);
    },
  );

  it("leaves A's instance and bulk untouched", async () => {
    expect(t.sim.instance(a.name)?.state).toBe('open');
    expect(t.sim.requests().filter((r) => r.path.startsWith('/message/'))).toHaveLength(0);
  });

  it('walks every documented route that names an instance, message or bulk', async () => {
    const docs = (await http.get('/docs-json')).data as { paths: Record<string, Record<string, unknown>> };
    const walked = new Set(ROUTES.map((r) => `${r.method} ${r.template}`));
    const named = Object.entries(docs.paths)
      .filter(([path, operations]) => (path.includes('{') || JSON.stringify(operations).includes('instanceName')) && !path.startsWith(OPERATOR_PREFIX))
      .flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`));
    expect(named.filter((route) => !walked.has(route))).toEqual([]);
  });
});
