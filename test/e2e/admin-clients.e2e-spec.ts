import { AxiosInstance } from 'axios';
import { adminToken, createClient, httpClient } from '../factories/client.factory';
import { queryDb, startTestApp, TestApp } from '../setup/test-app';
import { TEST_ADMIN } from '../setup/test-env';
import { waitFor } from '../setup/wait-for';

describe('admin API: login and client management', () => {
  let t: TestApp;
  let http: AxiosInstance;
  let token: string;
  const auth = () => ({ headers: { authorization: `Bearer ${token}` } });

  beforeAll(async () => {
    t = await startTestApp();
    http = httpClient(t.url);
    token = await adminToken(http);
  });
  afterAll(() => t.close());

  describe('POST /api/login', () => {
    it('returns an HS256 admin token for the first admin from the environment', async () => {
      const res = await http.post('/api/login', TEST_ADMIN);
      expect(res.status).toBe(200);
      const header = JSON.parse(Buffer.from(res.data.token.split('.')[0], 'base64url').toString());
      expect(header.alg).toBe('HS256');
    });

    it('answers 401 with a clear message for a wrong password or unknown user', async () => {
      for (const body of [
        { ...TEST_ADMIN, password: 'wrong-password' },
        { username: 'nobody', password: 'x' },
      ]) {
        const res = await http.post('/api/login', body);
        expect(res.status).toBe(401);
        expect(res.data).toEqual({
          statusCode: 401,
          error: 'Unauthorized',
          code: 'INVALID_CREDENTIALS',
          message: 'Invalid username or password',
        });
      }
    });

    it('rejects a body without a password, naming the field', async () => {
      const res = await http.post('/api/login', { username: 'admin' });
      expect(res.status).toBe(400);
      expect(res.data.message).toMatch(/^password: /);
    });

    it('stores the admin password hashed', async () => {
      const rows = await queryDb(t, 'SELECT password_hash FROM admin_users');
      expect(rows).toHaveLength(1);
      expect(rows[0]!.password_hash).toMatch(/^scrypt\$/);
      expect(rows[0]!.password_hash).not.toContain(TEST_ADMIN.password);
    });
  });

  describe('/api/admin/clients', () => {
    it('requires an admin token', async () => {
      expect((await http.get('/api/admin/clients')).status).toBe(401);
      const client = await createClient(http, token);
      const withClientKey = await http.get('/api/admin/clients', {
        headers: { authorization: `Bearer ${client.apiKey}` },
      });
      expect(withClientKey.status).toBe(401);
    });

    it('creates a client with defaults and returns its API key once', async () => {
      const res = await http.post('/api/admin/clients', { name: 'Acme' }, auth());
      expect(res.status).toBe(201);
      expect(res.data).toMatchObject({
        name: 'Acme',
        active: true,
        rate_limit: 60,
        daily_cap: 250,
        max_instances: 10,
        webhook_url: null,
      });
      expect(res.data.api_key).toMatch(/^nmk_live_[A-Za-z0-9_-]{43}$/);
      expect(res.data.api_key.startsWith(res.data.api_key_prefix)).toBe(true);

      const fetched = await http.get(`/api/admin/clients/${res.data.id}`, auth());
      expect(fetched.status).toBe(200);
      expect(fetched.data.api_key).toBeUndefined();
      expect(fetched.data.api_key_prefix).toBe(res.data.api_key_prefix);
    });

    it('validates the body with field names', async () => {
      const res = await http.post(
        '/api/admin/clients',
        { name: '', rate_limit: 0, webhook_url: 'ftp://x', extra: 1 },
        auth(),
      );
      expect(res.status).toBe(400);
      expect(res.data.message).toContain('name: ');
      expect(res.data.message).toContain('rate_limit: ');
      expect(res.data.message).toContain('webhook_url: must be an http(s) URL');
      expect(res.data.message).toContain('property extra should not exist');
    });

    it('answers 400 naming the field for null settings and offsets too large for any page', async () => {
      const client = await createClient(http, token, { name: 'Nulls' });
      for (const field of [
        'rate_limit',
        'daily_cap',
        'max_instances',
        'send_interval_ms',
        'pacing_override',
        'jitter_min_ms',
        'name',
        'active',
      ]) {
        const res = await http.patch(`/api/admin/clients/${client.id}`, { [field]: null }, auth());
        expect([field, res.status, res.data.message]).toEqual([
          field,
          400,
          `${field}: must not be null; leave it out to keep the current value`,
        ]);
      }
      const cleared = await http.patch(`/api/admin/clients/${client.id}`, { webhook_url: null }, auth());
      expect(cleared.data).toMatchObject({ webhook_url: null });
      const huge = await http.get('/api/admin/clients?offset=99999999999999999999', auth());
      expect(huge.status).toBe(400);
      expect(huge.data.message).toMatch(/^offset: must not be greater than 2147483647/);
    });

    it('allows an interval under one second only with the pacing override, audited', async () => {
      const refused = await http.post('/api/admin/clients', { name: 'Fast', send_interval_ms: 500 }, auth());
      expect(refused.status).toBe(400);
      expect(refused.data.message).toBe(
        'send_interval_ms: below 1000 ms gets WhatsApp Web numbers banned; set pacing_override: true to allow it anyway',
      );

      const allowed = await http.post(
        '/api/admin/clients',
        { name: 'Fast', send_interval_ms: 500, pacing_override: true },
        auth(),
      );
      expect(allowed.status).toBe(201);
      expect(allowed.data).toMatchObject({ send_interval_ms: 500, pacing_override: true });
      expect(
        (await http.patch(`/api/admin/clients/${allowed.data.id}`, { pacing_override: false }, auth())).status,
      ).toBe(400);

      const plain = await createClient(http, token, { name: 'Plain' });
      expect((await http.patch(`/api/admin/clients/${plain.id}`, { send_interval_ms: 200 }, auth())).status).toBe(400);
      const patched = await http.patch(
        `/api/admin/clients/${plain.id}`,
        { send_interval_ms: 200, pacing_override: true },
        auth(),
      );
      expect(patched.data).toMatchObject({ send_interval_ms: 200, pacing_override: true });

      const audit = await http.get('/api/admin/audit?action=client.pacing_override', auth());
      const details = audit.data.events.map((e: { client_id: number; details: object }) => [e.client_id, e.details]);
      expect(details).toEqual(
        expect.arrayContaining([
          [allowed.data.id, { pacing_override: true, send_interval_ms: 500 }],
          [plain.id, { pacing_override: true, send_interval_ms: 200 }],
        ]),
      );
    });

    it('lists, updates and deletes clients', async () => {
      const client = await createClient(http, token, { name: 'Listed' });
      const list = await http.get('/api/admin/clients?limit=200', auth());
      expect(list.status).toBe(200);
      expect(list.data.total).toBeGreaterThanOrEqual(1);
      expect(list.data.clients.map((c: { id: number }) => c.id)).toContain(client.id);

      const patched = await http.patch(
        `/api/admin/clients/${client.id}`,
        { rate_limit: 120, daily_cap: 300, webhook_url: 'https://example.com/hook' },
        auth(),
      );
      expect(patched.status).toBe(200);
      expect(patched.data).toMatchObject({ rate_limit: 120, daily_cap: 300, webhook_url: 'https://example.com/hook' });

      expect((await http.delete(`/api/admin/clients/${client.id}`, auth())).status).toBe(204);
      expect((await http.get(`/api/admin/clients/${client.id}`, auth())).status).toBe(404);
      expect((await http.delete(`/api/admin/clients/${client.id}`, auth())).status).toBe(404);
      const deletedKey = await http.post('/api/v1/auth/token', null, { headers: { apikey: client.apiKey } });
      expect(deletedKey.status).toBe(403);
    });

    it('answers 404 for an unknown client and 400 for a malformed id', async () => {
      const missing = await http.get('/api/admin/clients/999999', auth());
      expect(missing.status).toBe(404);
      expect(missing.data.message).toBe('Client 999999 does not exist');
      const bad = await http.get('/api/admin/clients/abc', auth());
      expect(bad.status).toBe(400);
      expect(bad.data.message).toMatch(/^id: /);
    });

    it('deactivation makes the key and its tokens answer 403, reactivation restores them', async () => {
      const client = await createClient(http, token);
      const jwt = (await http.post('/api/v1/auth/token', null, { headers: { apikey: client.apiKey } })).data.token;
      await http.patch(`/api/admin/clients/${client.id}`, { active: false }, auth());

      const byKey = await http.post('/api/v1/auth/token', null, { headers: { apikey: client.apiKey } });
      expect(byKey.status).toBe(403);
      expect(byKey.data.message).toMatch(/deactivated/);
      const byJwt = await http.post('/api/v1/auth/token', null, { headers: { authorization: `Bearer ${jwt}` } });
      expect(byJwt.status).toBe(403);

      await http.patch(`/api/admin/clients/${client.id}`, { active: true }, auth());
      expect((await http.post('/api/v1/auth/token', null, { headers: { apikey: client.apiKey } })).status).toBe(200);
    });
  });

  describe('key rotation', () => {
    it('without grace: the new key works and the old one is refused at once', async () => {
      const client = await createClient(http, token);
      const res = await http.post(`/api/admin/clients/${client.id}/rotate-key`, {}, auth());
      expect(res.status).toBe(200);
      expect(res.data.api_key).not.toBe(client.apiKey);
      expect((await http.post('/api/v1/auth/token', null, { headers: { apikey: client.apiKey } })).status).toBe(403);
      expect((await http.post('/api/v1/auth/token', null, { headers: { apikey: res.data.api_key } })).status).toBe(200);
    });

    it('a later, longer grace never extends an earlier, shorter one; concurrent rotations leave one current key', async () => {
      const client = await createClient(http, token);
      await http.post(`/api/admin/clients/${client.id}/rotate-key`, { grace_seconds: 60 }, auth());
      await http.post(`/api/admin/clients/${client.id}/rotate-key`, { grace_seconds: 7 * 24 * 3600 }, auth());
      const [first] = await queryDb(t, 'SELECT expires_at FROM api_keys WHERE client_id = $1 ORDER BY id LIMIT 1', [
        client.id,
      ]);
      expect((first!.expires_at as Date).getTime()).toBeLessThan(Date.now() + 120 * 1000);

      await Promise.all([1, 2, 3].map(() => http.post(`/api/admin/clients/${client.id}/rotate-key`, {}, auth())));
      const current = await queryDb(
        t,
        "SELECT id FROM api_keys WHERE client_id = $1 AND kind = 'client' AND revoked_at IS NULL AND expires_at IS NULL",
        [client.id],
      );
      expect(current).toHaveLength(1);
    });

    it('with grace: both keys work until the grace period ends', async () => {
      const client = await createClient(http, token);
      const res = await http.post(`/api/admin/clients/${client.id}/rotate-key`, { grace_seconds: 3600 }, auth());
      expect(res.status).toBe(200);
      expect(new Date(res.data.previous_key_expires_at).getTime()).toBeGreaterThan(Date.now() + 3500 * 1000);
      expect((await http.post('/api/v1/auth/token', null, { headers: { apikey: client.apiKey } })).status).toBe(200);
      expect((await http.post('/api/v1/auth/token', null, { headers: { apikey: res.data.api_key } })).status).toBe(200);

      // End the grace period in the database rather than waiting an hour.
      await queryDb(
        t,
        "UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE client_id = $1 AND expires_at IS NOT NULL",
        [client.id],
      );
      // Changed behind the gateway's back: it sees the change once its copy of the key expires (1 s).
      await waitFor(
        async () =>
          (await http.post('/api/v1/auth/token', null, { headers: { apikey: client.apiKey } })).status === 403,
        3000,
        'the old key to stop working',
      );
      expect((await http.post('/api/v1/auth/token', null, { headers: { apikey: res.data.api_key } })).status).toBe(200);
    });

    it('rejects a grace period over 7 days', async () => {
      const client = await createClient(http, token);
      const res = await http.post(
        `/api/admin/clients/${client.id}/rotate-key`,
        { grace_seconds: 8 * 24 * 3600 },
        auth(),
      );
      expect(res.status).toBe(400);
      expect(res.data.message).toMatch(/^grace_seconds: /);
    });
  });

  describe('GET /api/admin/audit', () => {
    it('records who did what to which client', async () => {
      const client = await createClient(http, token);
      await http.post(`/api/admin/clients/${client.id}/rotate-key`, { grace_seconds: 60 }, auth());
      await http.patch(`/api/admin/clients/${client.id}`, { active: false }, auth());
      const res = await http.get(`/api/admin/audit?client_id=${client.id}`, auth());
      expect(res.status).toBe(200);
      expect(res.data.events.map((e: { action: string }) => e.action)).toEqual([
        'client.deactivated',
        'client.key_rotated',
        'client.created',
      ]);
      expect(res.data.events[0]).toMatchObject({
        actor_type: 'admin',
        target_type: 'client',
        target_id: String(client.id),
      });
      expect(JSON.stringify(res.data)).not.toContain(client.apiKey);
    });

    it('pages with a cursor', async () => {
      const first = await http.get('/api/admin/audit?limit=2', auth());
      expect(first.data.events).toHaveLength(2);
      const second = await http.get(`/api/admin/audit?limit=2&cursor=${first.data.next_cursor}`, auth());
      expect(second.status).toBe(200);
      expect(Number(second.data.events[0].id)).toBeLessThan(Number(first.data.events[1].id));
    });
  });

  it('keeps no plaintext key in the database', async () => {
    const client = await createClient(http, token);
    const dump = await queryDb(t, 'SELECT c.*, k.* FROM clients c JOIN api_keys k ON k.client_id = c.id');
    expect(JSON.stringify(dump)).not.toContain(client.apiKey);
    expect(JSON.stringify(dump)).not.toContain(client.apiKey.slice(20));
  });
});
