import { AxiosInstance } from 'axios';
import { httpClient } from '../factories/client.factory';
import { startTestApp, TestApp } from '../setup/test-app';
import { TEST_ADMIN } from '../setup/test-env';

/** Each block gets its own gateway (and Redis prefix): the per-address budget is shared by every login from loopback. */
describe('admin login throttling', () => {
  describe('per username', () => {
    let t: TestApp;
    let http: AxiosInstance;
    beforeAll(async () => {
      t = await startTestApp();
      http = httpClient(t.url);
    });
    afterAll(() => t.close());

    it('throttles repeated failures for one username with 429 and Retry-After', async () => {
      const username = 'brute-force-target';
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++)
        statuses.push((await http.post('/api/login', { username, password: `guess-${i}` })).status);
      expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
      const blocked = await http.post('/api/login', { username, password: 'another' });
      expect(blocked.status).toBe(429);
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
      expect(blocked.data.message).toMatch(/Too many failed login attempts/);
    });

    it('counts concurrent guesses before checking them, so a burst cannot pass the limit', async () => {
      const username = 'burst-target';
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) => http.post('/api/login', { username, password: `burst-${i}` })),
      );
      const statuses = results.map((r) => r.status);
      expect(statuses.filter((s) => s === 401)).toHaveLength(5);
      expect(statuses.filter((s) => s === 429)).toHaveLength(7);
    });

    it('does not count successful logins against the address', async () => {
      for (let i = 0; i < 25; i++) expect((await http.post('/api/login', TEST_ADMIN)).status).toBe(200);
    });
  });

  describe('behind a trusted proxy', () => {
    let t: TestApp;
    let http: AxiosInstance;
    beforeAll(async () => {
      t = await startTestApp({ TRUST_PROXY: 'true' });
      http = httpClient(t.url);
    });
    afterAll(() => t.close());

    it('never lets failures from one address lock the admin out at another', async () => {
      const from = (address: string) => ({ headers: { 'x-forwarded-for': address } });
      for (let i = 0; i < 6; i++)
        await http.post('/api/login', { username: TEST_ADMIN.username, password: `guess-${i}` }, from('203.0.113.7'));
      expect((await http.post('/api/login', TEST_ADMIN, from('203.0.113.7'))).status).toBe(429);
      expect((await http.post('/api/login', TEST_ADMIN, from('198.51.100.20'))).status).toBe(200);
    });
  });

  describe('per address', () => {
    let t: TestApp;
    let http: AxiosInstance;
    beforeAll(async () => {
      t = await startTestApp();
      http = httpClient(t.url);
    });
    afterAll(() => t.close());

    it('ignores X-Forwarded-For unless TRUST_PROXY says so', async () => {
      const results = [];
      for (let i = 0; i < 21; i++) {
        results.push(
          (
            await http.post(
              '/api/login',
              { username: `spoof-${i}`, password: 'x' },
              { headers: { 'x-forwarded-for': `10.0.0.${i}` } },
            )
          ).status,
        );
      }
      expect(results.slice(0, 20).every((s) => s === 401)).toBe(true);
      expect(results[20]).toBe(429);
    });
  });
});
