import { AxiosInstance } from 'axios';
import { httpClient } from '../factories/client.factory';
import { startTestApp, TestApp } from '../setup/test-app';

describe('HTTP conventions shared by every route', () => {
  let t: TestApp;
  let http: AxiosInstance;

  beforeAll(async () => {
    t = await startTestApp();
    http = httpClient(t.url);
  });
  afterAll(() => t.close());

  it('answers unknown routes with the one error shape', async () => {
    const res = await http.get('/no/such/route?number=254712345678');
    expect(res.status).toBe(404);
    expect(res.data).toEqual({ statusCode: 404, error: 'Not Found', message: 'Route GET /no/such/route does not exist' });
  });

  it('rejects malformed JSON with 400 naming the body, without a stack trace', async () => {
    const res = await http.post('/api/login', '{"username": "admin", ', {
      headers: { 'content-type': 'application/json' },
      transformRequest: [(body: string) => body],
    });
    expect(res.status).toBe(400);
    expect(res.data).toEqual({ statusCode: 400, error: 'Bad Request', message: expect.stringMatching(/^Body is not valid JSON/) });
  });

  it('rejects an unsupported content type with 415', async () => {
    const res = await http.post('/api/login', 'username=admin', { headers: { 'content-type': 'text/csv' } });
    expect(res.status).toBe(415);
    expect(res.data).toEqual({ statusCode: 415, error: 'Unsupported Media Type', message: expect.stringContaining('text/csv') });
  });

  it('names each invalid field once, with its first problem', async () => {
    const res = await http.post('/api/login', { username: 42 });
    expect(res.status).toBe(400);
    expect(res.data.message).toBe('username: must be a string; password: must be a string');
  });

  it('echoes a caller request id and makes one up otherwise', async () => {
    expect((await http.get('/health', { headers: { 'x-request-id': 'abc.123' } })).headers['x-request-id']).toBe('abc.123');
    expect((await http.get('/health')).headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('documents both security schemes and which one each route takes', async () => {
    const docs = (await http.get('/docs-json')).data;
    expect(Object.keys(docs.components.securitySchemes)).toEqual(expect.arrayContaining(['apikey', 'reseller-jwt', 'admin-jwt']));
    expect(docs.paths['/api/v1/auth/token'].post.security).toEqual(expect.arrayContaining([{ apikey: [] }, { 'reseller-jwt': [] }]));
    expect(docs.paths['/api/admin/clients'].post.security).toEqual([{ 'admin-jwt': [] }]);
  });
});
