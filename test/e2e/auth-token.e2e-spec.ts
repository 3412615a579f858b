import { AxiosInstance } from 'axios';
import { createHmac } from 'node:crypto';
import { adminToken, createClient, httpClient, TestClient } from '../factories/client.factory';
import { startTestApp, TestApp } from '../setup/test-app';

function b64(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** Builds a JWT by hand so tests can forge the cases a library would refuse to produce. */
function jwt(header: object, payload: object, secret: string, algorithm = 'sha256'): string {
  const unsigned = `${b64(header)}.${b64(payload)}`;
  return `${unsigned}.${createHmac(algorithm, secret).update(unsigned).digest('base64url')}`;
}

describe('POST /api/v1/auth/token and reseller JWTs', () => {
  let t: TestApp;
  let http: AxiosInstance;
  let client: TestClient;
  /** The id of the client's key, read from a real token, so hand-made tokens differ only where a test says. */
  let kid: number;
  const now = () => Math.floor(Date.now() / 1000);
  const claims = (clientId: number, exp = now() + 3600) => ({
    typ: 'reseller',
    sub: String(clientId),
    client_id: clientId,
    kid,
    iat: now(),
    exp,
  });
  /** The token endpoint accepts a reseller JWT as Bearer but refuses to mint from one: 403 proves the JWT itself passed. */
  const withBearer = (token: string) =>
    http.post('/api/v1/auth/token', null, { headers: { authorization: `Bearer ${token}` } });

  beforeAll(async () => {
    t = await startTestApp();
    http = httpClient(t.url);
    client = await createClient(http, await adminToken(http));
    const real = (await http.post('/api/v1/auth/token', null, { headers: { apikey: client.apiKey } })).data
      .token as string;
    kid = JSON.parse(Buffer.from(real.split('.')[1]!, 'base64url').toString()).kid;
  });
  afterAll(() => t.close());

  it('exchanges a client API key for a 30-day HS256 reseller token by default', async () => {
    const res = await http.post('/api/v1/auth/token', null, { headers: { apikey: client.apiKey } });
    expect(res.status).toBe(200);
    expect(res.data).toEqual({ token: expect.any(String), expires_in: 2592000, client_id: client.id });
    const [header, payload] = res.data.token
      .split('.')
      .slice(0, 2)
      .map((p: string) => JSON.parse(Buffer.from(p, 'base64url').toString()));
    expect(header.alg).toBe('HS256');
    expect(payload.exp - payload.iat).toBe(2592000);
    expect(payload.client_id).toBe(client.id);
  });

  it('issues a shorter-lived token when the body asks for one, its exp claim matching expires_in', async () => {
    const before = now();
    const res = await http.post('/api/v1/auth/token', { expires_in: 300 }, { headers: { apikey: client.apiKey } });
    expect(res.status).toBe(200);
    expect(res.data).toEqual({ token: expect.any(String), expires_in: 300, client_id: client.id });
    const payload = JSON.parse(Buffer.from(res.data.token.split('.')[1], 'base64url').toString());
    expect(payload.exp - payload.iat).toBe(300);
    expect(payload.exp).toBeGreaterThanOrEqual(before + 300);
    expect(payload.exp).toBeLessThanOrEqual(now() + 300);
    // The short token works like a 30-day one.
    const list = await http.get('/api/v1/whatsapp/reseller/sub-instances', {
      headers: { authorization: `Bearer ${res.data.token}` },
    });
    expect(list.status).toBe(200);

    const longest = await http.post(
      '/api/v1/auth/token',
      { expires_in: 2592000 },
      { headers: { apikey: client.apiKey } },
    );
    expect(longest.data.expires_in).toBe(2592000);

    const unset = await http.post('/api/v1/auth/token', { expires_in: null }, { headers: { apikey: client.apiKey } });
    expect(unset.status).toBe(200);
    expect(unset.data.expires_in).toBe(2592000);
  });

  it.each([
    ['too short', 10, 'expires_in: must not be less than 300'],
    ['too long', 1e9, 'expires_in: must not be greater than 2592000'],
    ['not a number', 'abc', 'expires_in: must be an integer number'],
    ['a fraction', 300.5, 'expires_in: must be an integer number'],
  ])('refuses an expires_in that is %s with 400 naming the field', async (_, expiresIn, message) => {
    const res = await http.post(
      '/api/v1/auth/token',
      { expires_in: expiresIn },
      { headers: { apikey: client.apiKey } },
    );
    expect(res.status).toBe(400);
    expect(res.data).toEqual({ statusCode: 400, error: 'Bad Request', code: 'VALIDATION_FAILED', message });
  });

  it('answers 401 without credentials and 403 for an unknown key', async () => {
    const none = await http.post('/api/v1/auth/token');
    expect(none.status).toBe(401);
    expect(none.data).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
    const unknown = await http.post('/api/v1/auth/token', null, { headers: { apikey: 'nmk_live_not-a-real-key' } });
    expect(unknown.status).toBe(403);
    expect(unknown.data).toEqual({
      statusCode: 403,
      error: 'Forbidden',
      code: 'INVALID_API_KEY',
      message: 'API key is not valid',
    });
  });

  it('accepts a valid reseller token as Bearer', async () => {
    const res = await withBearer(jwt({ alg: 'HS256', typ: 'JWT' }, claims(client.id), t.env.JWT_SECRET));
    expect(res.status).toBe(403);
    expect(res.data.message).toBe('Only a client API key can be exchanged for a reseller token');
  });

  it.each([
    [
      'expired',
      () => jwt({ alg: 'HS256', typ: 'JWT' }, claims(1, now() - 10), t.env.JWT_SECRET),
      'Bearer token has expired',
    ],
    [
      'signed with another secret',
      () => jwt({ alg: 'HS256', typ: 'JWT' }, claims(1), 'some-other-secret-of-sufficient-length'),
      'Bearer token is not valid',
    ],
    [
      'tampered payload',
      () => {
        const [h, , s] = jwt({ alg: 'HS256', typ: 'JWT' }, claims(1), t.env.JWT_SECRET).split('.');
        return `${h}.${b64(claims(2))}.${s}`;
      },
      'Bearer token is not valid',
    ],
    ['alg none', () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims(1))}.`, 'Bearer token is not valid'],
    [
      'HS512 with the right secret',
      () => jwt({ alg: 'HS512', typ: 'JWT' }, claims(1), t.env.JWT_SECRET, 'sha512'),
      'Bearer token is not valid',
    ],
    [
      'an admin token',
      () =>
        jwt(
          { alg: 'HS256', typ: 'JWT' },
          { typ: 'admin', sub: '1', username: 'admin', exp: now() + 60 },
          t.env.JWT_SECRET,
        ),
      'Bearer token is not a reseller token',
    ],
    ['garbage', () => 'not.a.jwt', 'Bearer token is not valid'],
  ])('refuses a token that is %s with 401', async (_, make, message) => {
    const res = await withBearer(make());
    expect(res.status).toBe(401);
    expect(res.data).toEqual({
      statusCode: 401,
      error: 'Unauthorized',
      code: message.endsWith('expired') ? 'TOKEN_EXPIRED' : 'INVALID_TOKEN',
      message,
    });
  });

  it('refuses a token whose key was revoked by a rotation, or that names another client’s key', async () => {
    const admin = await adminToken(http);
    const other = await createClient(http, admin);
    const forged = jwt({ alg: 'HS256', typ: 'JWT' }, { ...claims(other.id) }, t.env.JWT_SECRET);
    expect((await withBearer(forged)).status).toBe(401);

    const rotating = await createClient(http, admin);
    const token = (await http.post('/api/v1/auth/token', null, { headers: { apikey: rotating.apiKey } })).data
      .token as string;
    const before = await http.get('/api/v1/whatsapp/reseller/sub-instances', {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(before.status).toBe(200);
    await http.post(
      `/api/admin/clients/${rotating.id}/rotate-key`,
      {},
      { headers: { authorization: `Bearer ${admin}` } },
    );
    const after = await http.get('/api/v1/whatsapp/reseller/sub-instances', {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(after.status).toBe(403);
    expect(after.data.message).toBe('API key has been revoked or has expired');
  });

  it('refuses a reseller token on the admin API', async () => {
    const reseller = (await http.post('/api/v1/auth/token', null, { headers: { apikey: client.apiKey } })).data.token;
    const res = await http.get('/api/admin/clients', { headers: { authorization: `Bearer ${reseller}` } });
    expect(res.status).toBe(401);
    expect(res.data.message).toBe('Bearer token is not an admin token');
  });
});
