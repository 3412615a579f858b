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
  path: (a: TestInstance) => string;
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
];

/** Admin routes are operator-wide by design and stay out of the walk. */
const OPERATOR_PREFIX = '/api/admin/';

describe('tenant isolation walk', () => {
  let t: TestApp;
  let http: AxiosInstance;
  let a: TestInstance;
  let b: TestClient;
  let bJwt: string;
  let bInstance: TestInstance;

  beforeAll(async () => {
    t = await startTestApp();
    http = httpClient(t.url);
    const admin = await adminToken(http);
    const clientA = await createClient(http, admin);
    a = await createInstance(http, await resellerToken(http, clientA));
    t.sim.scan(a.name);
    b = await createClient(http, admin);
    bJwt = await resellerToken(http, b);
    bInstance = await createInstance(http, bJwt);
  });
  afterAll(() => t.close());

  it.each(ROUTES.map((r) => [`${r.method} ${r.path({ id: '<A id>', name: '<A name>' } as TestInstance)} with B's ${r.auth}`, r] as const))(
    '%s → 404, no upstream call',
    async (_, route) => {
      t.sim.requests().clear();
      const headers = {
        jwt: { authorization: `Bearer ${bJwt}` },
        apikey: { apikey: b.apiKey },
        'instance-key': { apikey: bInstance.apiKey },
      }[route.auth];
      const res = await http.request({ method: route.method, url: route.path(a), data: route.body, headers });
      expect(res.status).toBe(404);
      expect(res.data).toMatchObject({ statusCode: 404, error: 'Not Found' });
      expect(t.sim.requests().filter((r) => r.path.includes(a.name) || r.query.instanceName === a.name)).toHaveLength(0);
    },
  );

  it("leaves A's instance untouched", () => {
    expect(t.sim.instance(a.name)?.state).toBe('open');
  });

  it('walks every documented route that names an instance, message or bulk', async () => {
    const docs = (await http.get('/docs-json')).data as { paths: Record<string, Record<string, unknown>> };
    const walked = new Set(ROUTES.map((r) => `${r.method} ${r.template}`));
    const named = Object.entries(docs.paths)
      .filter(([path]) => path.includes('{') && !path.startsWith(OPERATOR_PREFIX))
      .flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`));
    expect(named.filter((route) => !walked.has(route))).toEqual([]);
  });
});
