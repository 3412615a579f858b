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

  it('asks the upstream at most once per few seconds however often readiness is probed', async () => {
    const probes = () =>
      t.sim
        .requests()
        .filter((r) => r.path === '/instance/fetchInstances' && r.query.instanceName === '__nextmavens_health_probe__');
    const before = probes().length;
    const answers = await Promise.all(Array.from({ length: 10 }, () => http.get('/health/ready')));
    for (let i = 0; i < 5; i++) answers.push(await http.get('/health/ready'));
    expect(answers.every((r) => r.status === 200)).toBe(true);
    expect(probes().length - before).toBeLessThanOrEqual(1);
  });

  it('limits bodies per route: small for login and most routes, large only where media rides', async () => {
    const padding = 'x'.repeat(100 * 1024);
    const login = await http.post('/api/login', { username: 'admin', password: padding });
    expect(login.status).toBe(413);
    expect(login.data).toEqual({
      statusCode: 413,
      error: 'Payload Too Large',
      code: 'PAYLOAD_TOO_LARGE',
      message: expect.any(String),
    });
    expect((await http.post('/api/v1/auth/token', { padding })).status).toBe(413);
    expect(
      (await http.post('/webhooks/evolution/some-instance', { event: 'x', data: 'y'.repeat(2 * 1024 * 1024) })).status,
    ).toBe(413);
    expect((await http.post('/api/v1/whatsapp/send', { text: 'z'.repeat(400 * 1024) })).status).toBe(413);
    // Larger bodies pass where they belong: what stops these is the missing key, not the size.
    expect((await http.post('/api/v1/whatsapp/send', { text: padding })).status).toBe(401);
    expect((await http.post('/api/v1/whatsapp/send-media', { media: 'm'.repeat(1024 * 1024) })).status).toBe(401);
    expect((await http.post('/webhooks/evolution/some-instance', { event: 'x', data: padding })).status).toBe(401);
  });

  it('answers 400 naming the field for input no column can store or no validator should walk', async () => {
    const nested = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
    const raw = { headers: { 'content-type': 'application/json' }, transformRequest: [(body: string) => body] };
    const login = await http.post('/api/login', nested(2000), raw);
    expect(login.status).toBe(400);
    expect(login.data).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      code: 'VALIDATION_FAILED',
      message: 'body: is nested more than 32 levels deep',
    });
    expect((await http.post('/api/v1/whatsapp/send-bulk', nested(3000), raw)).data.message).toBe(
      'body: is nested more than 32 levels deep',
    );
    expect((await http.post('/api/login', { username: 'ad\u0000min', password: 'x' })).data.message).toBe(
      'username: contains a NUL character or an unpaired UTF-16 surrogate',
    );
    expect((await http.get('/api/admin/audit?action=%00')).data.message).toBe(
      'query.action: contains a NUL character or an unpaired UTF-16 surrogate',
    );
    const badEscape = await http.get('/api/v1/whatsapp/status/%E0%A4%A');
    expect(badEscape.status).toBe(400);
    expect(badEscape.data).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      code: 'INVALID_PATH',
      message: 'path: is not a valid URL path (a malformed percent-escape)',
    });
  });

  it('answers unknown routes with the one error shape', async () => {
    const res = await http.get('/no/such/route?number=254712345678');
    expect(res.status).toBe(404);
    expect(res.data).toEqual({
      statusCode: 404,
      error: 'Not Found',
      code: 'ROUTE_NOT_FOUND',
      message: 'Route GET /no/such/route does not exist',
    });
  });

  it('rejects malformed JSON with 400 naming the body, without a stack trace', async () => {
    const res = await http.post('/api/login', '{"username": "admin", ', {
      headers: { 'content-type': 'application/json' },
      transformRequest: [(body: string) => body],
    });
    expect(res.status).toBe(400);
    expect(res.data).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      code: 'INVALID_JSON',
      message: expect.stringMatching(/^Body is not valid JSON/),
    });
  });

  it('takes an empty body sent as JSON for an empty object', async () => {
    const empty = { headers: { 'content-type': 'application/json' }, transformRequest: [() => ''] };
    const res = await http.post('/api/login', undefined, empty);
    expect(res.status).toBe(400);
    expect(res.data.message).toMatch(/^username: /);
  });

  it('rejects an unsupported content type with 415', async () => {
    const res = await http.post('/api/login', 'username=admin', { headers: { 'content-type': 'text/csv' } });
    expect(res.status).toBe(415);
    expect(res.data).toEqual({
      statusCode: 415,
      error: 'Unsupported Media Type',
      code: 'UNSUPPORTED_MEDIA_TYPE',
      message: expect.stringContaining('text/csv'),
    });
  });

  it('names each invalid field once, with its first problem', async () => {
    const res = await http.post('/api/login', { username: 42 });
    expect(res.status).toBe(400);
    expect(res.data.message).toBe('username: must be a string; password: must be a string');
  });

  it('echoes a caller request id and makes one up otherwise', async () => {
    expect((await http.get('/health', { headers: { 'x-request-id': 'abc.123' } })).headers['x-request-id']).toBe(
      'abc.123',
    );
    expect((await http.get('/health')).headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('documents both security schemes and which one each route takes', async () => {
    const docs = (await http.get('/docs-json')).data;
    expect(Object.keys(docs.components.securitySchemes)).toEqual(
      expect.arrayContaining(['apikey', 'reseller-jwt', 'admin-jwt']),
    );
    expect(docs.paths['/api/v1/auth/token'].post.security).toEqual(
      expect.arrayContaining([{ apikey: [] }, { 'reseller-jwt': [] }]),
    );
    expect(docs.paths['/api/admin/clients'].post.security).toEqual([{ 'admin-jwt': [] }]);
  });

  it('documents the one error body, code included, on every error answer', async () => {
    const docs = (await http.get('/docs-json')).data;
    expect(Object.keys(docs.components.schemas.ErrorResponseDto.properties)).toEqual([
      'statusCode',
      'error',
      'code',
      'message',
    ]);
    const errorSchema = { $ref: '#/components/schemas/ErrorResponseDto' };
    expect(docs.paths['/api/v1/whatsapp/send'].post.responses['403'].content['application/json'].schema).toEqual(
      errorSchema,
    );
    for (const path of ['/api/v1/whatsapp/send', '/api/v1/whatsapp/send-media', '/message/sendText/{instanceName}'])
      expect(docs.paths[path].post.responses['403'].description).toMatch(/OPTED_OUT/);
    expect(docs.paths['/api/v1/whatsapp/opt-outs/{number}'].delete.responses['404'].content).toEqual({
      'application/json': { schema: errorSchema },
    });
  });
});
