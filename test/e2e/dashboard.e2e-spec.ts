import { AxiosInstance } from 'axios';
import { createHmac } from 'node:crypto';
import path from 'node:path';
import { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { adminToken, createClient, httpClient, TestClient } from '../factories/client.factory';
import { createInstance, resellerToken } from '../factories/instance.factory';
import { buildDashboard, launchBrowser } from '../setup/browser';
import { startTestApp, TestApp } from '../setup/test-app';
import { TEST_ADMIN } from '../setup/test-env';

/** Set to a folder (docs/screenshots) to save the main pages as PNG files for the docs. */
const SCREENSHOTS_DIR = process.env.SCREENSHOTS_DIR;
/** Where the dashboard keeps its session (token, role, name, expiresAt). */
const SESSION_KEY = 'nextmavens.session';

/** The page's globals that the tests read: they run in the page, and the tests compile without the DOM library. */
interface PageGlobals {
  localStorage: { getItem(key: string): string | null; setItem(key: string, value: string): void };
  history: { state: unknown };
  document: { querySelector(selector: string): { getAttribute(name: string): string | null } | null };
}
const readSession = (page: Page) =>
  page.evaluate((key) => (globalThis as unknown as PageGlobals).localStorage.getItem(key), SESSION_KEY);
const writeSession = (page: Page, value: string) =>
  page.evaluate(([key, json]) => (globalThis as unknown as PageGlobals).localStorage.setItem(key, json), [
    SESSION_KEY,
    value,
  ] as const);

const nowSeconds = () => Math.floor(Date.now() / 1000);
const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString());

/** A reseller JWT signed by hand with the gateway's secret, to give a session a lifetime the API would not. */
function resellerJwt(secret: string, claims: { client_id: number; kid: number }, exp: number): string {
  const header = base64url({ alg: 'HS256', typ: 'JWT' });
  const payload = base64url({ typ: 'reseller', sub: String(claims.client_id), ...claims, iat: nowSeconds(), exp });
  return `${header}.${payload}.${createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url')}`;
}

/**
 * The dashboard in a real browser (Debian's Chromium through playwright-core) against the whole gateway and the
 * simulator: sign-in both ways, an instance linked by QR with its status changing live, a message whose status
 * reaches read while the log is open, an operator creating a client, and one tenant's instance hidden from another.
 */
describe('dashboard in the browser', () => {
  let t: TestApp;
  let http: AxiosInstance;
  let admin: string;
  let browser: Browser;
  let dashboard: { dir: string; remove: () => void };
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    dashboard = buildDashboard();
    // Each ack a second apart: the log is on screen before the message is read.
    t = await startTestApp({ DASHBOARD_DIR: dashboard.dir }, { ackDelayMs: 1000 });
    http = httpClient(t.url);
    admin = await adminToken(http);
    browser = await launchBrowser();
  }, 120000);
  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await t?.close();
    dashboard?.remove();
  });

  async function newPage(width = 1280): Promise<Page> {
    const context = await browser.newContext({ viewport: { width, height: 900 } });
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(15000);
    return page;
  }

  /** Waits (up to the page's timeout) until the element is on screen. */
  const shows = (locator: Locator) => locator.first().waitFor({ state: 'visible' });

  async function screenshot(page: Page, name: string): Promise<void> {
    if (SCREENSHOTS_DIR) await page.screenshot({ path: path.join(SCREENSHOTS_DIR, `${name}.png`), fullPage: true });
  }

  async function signInWithKey(page: Page, client: TestClient): Promise<void> {
    await page.goto(`${t.url}/dashboard/`);
    await page.getByLabel('API key').fill(client.apiKey);
    await page.getByRole('button', { name: 'Sign in with API key' }).click();
    await shows(page.getByRole('heading', { name: 'Instances' }));
  }

  async function signInAsOperator(page: Page): Promise<void> {
    await page.goto(`${t.url}/dashboard/`);
    await page.getByLabel('Username').fill(TEST_ADMIN.username);
    await page.getByLabel('Password').fill(TEST_ADMIN.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await shows(page.getByRole('heading', { name: 'Instances' }));
  }

  it('links an instance by QR and shows it open without a reload, then a message reaching read live', async () => {
    const client = await createClient(http, admin);
    const page = await newPage();
    await signInWithKey(page, client);

    await page.getByRole('button', { name: 'Create instance' }).click();
    await page.getByLabel('Instance name').fill('dash-shop');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    const qr = page.getByAltText('QR code for dash-shop');
    await shows(qr);
    expect(await qr.getAttribute('src')).toMatch(/^data:image\/png;base64,/);
    const created = page.getByRole('status').filter({ hasText: 'API key:' });
    await shows(created);
    const apiKey = (await created.locator('code').first().textContent()) ?? '';
    expect(apiKey).not.toBe('');
    await shows(page.getByLabel('Status: connecting'));
    await screenshot(page, 'qr-code');

    // The key and secret were in the history entry only until shown: a reload does not show them again.
    await page.waitForFunction(
      (key) => !JSON.stringify((globalThis as unknown as PageGlobals).history.state ?? {}).includes(key),
      apiKey,
    );
    await page.reload();
    await shows(page.getByRole('button', { name: 'Show QR code' }));
    expect(await page.content()).not.toContain(apiKey);
    expect(await page.getByRole('dialog').count()).toBe(0);

    let loads = 0;
    page.on('load', () => (loads += 1));
    await page.getByRole('button', { name: 'Show QR code' }).click();
    await shows(qr);
    const dialog = page.getByRole('dialog', { name: 'Link dash-shop' });

    // WhatsApp issues a new QR while the dialog is open: the image changes to it, live.
    const shown = await qr.getAttribute('src');
    expect(shown).toBe(t.sim.instance('dash-shop')!.qr!.base64);
    t.sim.setState('dash-shop', 'connecting');
    const next = t.sim.instance('dash-shop')!.qr!.base64;
    expect(next).not.toBe(shown);
    await page.waitForFunction(
      (src) =>
        (globalThis as unknown as PageGlobals).document
          .querySelector('img[alt="QR code for dash-shop"]')
          ?.getAttribute('src') === src,
      next,
    );

    // The phone links: `Connected`, then the dialog closes by itself and the badge reads open.
    t.sim.scan('dash-shop');
    await shows(dialog.getByRole('status').filter({ hasText: 'Connected' }));
    await dialog.waitFor({ state: 'detached' });
    await shows(page.getByLabel('Status: open'));

    await page.getByLabel('Number').fill('0712345678');
    await page.getByRole('button', { name: 'Send test message' }).click();
    const sent = await page.getByRole('status').filter({ hasText: 'to 254712345678' }).textContent();
    const id = /Message (\d+)/.exec(sent ?? '')?.[1];
    expect(id).toBeDefined();

    await page.getByRole('link', { name: 'Messages' }).click();
    const badge = page.getByLabel(new RegExp(`^Status of message ${id}: `));
    await shows(badge);
    expect(await badge.textContent()).not.toBe('read');
    await shows(page.getByLabel(`Status of message ${id}: read`));
    await screenshot(page, 'messages');
    expect(loads).toBe(0);

    await page.getByRole('link', { name: 'Instances' }).click();
    await shows(page.getByLabel('Status of dash-shop: open'));
    await screenshot(page, 'instances');
    await page.getByRole('link', { name: 'Stats' }).click();
    await shows(page.getByRole('img', { name: /Messages per day/ }));
    await screenshot(page, 'stats');
  }, 60000);

  it('shows a bulk started after the page opened, its progress bar filling live to completed', async () => {
    const client = await createClient(http, admin, { send_interval_ms: 300, jitter_min_ms: 0, jitter_max_ms: 0 });
    const instance = await createInstance(http, await resellerToken(http, client));
    t.sim.scan(instance.name);
    const page = await newPage();
    await signInWithKey(page, client);
    await page.getByRole('link', { name: 'Bulk' }).click();
    await shows(page.getByText('No bulk sends yet'));

    const bulk = await http.post(
      '/api/v1/whatsapp/send-bulk',
      {
        instanceName: instance.name,
        recipients: ['0712000001', '0712000002', '0712000003'],
        message: 'Hi',
        delay: 300,
      },
      { headers: { apikey: client.apiKey } },
    );
    expect(bulk.status).toBe(202);
    const id = bulk.data.bulk_id as string;
    await shows(page.getByLabel(`Progress of bulk ${id}: 100%`));
    await shows(page.getByRole('row').filter({ hasText: 'completed' }));
    await screenshot(page, 'bulk');
    await page.getByRole('link', { name: new RegExp(new Date().getFullYear().toString()) }).click();
    const recipients = page.getByRole('table', { name: 'Recipients' });
    await shows(recipients.getByText('254712000003'));
    await screenshot(page, 'bulk-detail');

    // Its messages in the log, through the log's bulk_id filter.
    await page.getByRole('link', { name: 'Its messages in the message log' }).click();
    expect(await page.getByLabel('Bulk id').inputValue()).toBe(id);
    const log = page.getByRole('table', { name: 'Message log' });
    await shows(log.getByText('254712000003'));
    expect(await log.locator('tbody tr').count()).toBe(3);
    // The filter typed in by hand: another bulk's id finds none of these.
    await page.getByLabel('Bulk id').fill('00000000-0000-4000-8000-000000000000');
    await page.getByRole('button', { name: 'Filter' }).click();
    await shows(page.getByText('No messages match.'));
  }, 60000);

  it('shows an operator the new client key once', async () => {
    const page = await newPage();
    await signInAsOperator(page);
    await page.getByRole('link', { name: 'Clients' }).click();
    await page.getByRole('button', { name: 'Create client' }).click();
    await page.getByLabel('Client name').fill('Dashboard Bakery');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    const shown = page.getByRole('status').filter({ hasText: 'API key of Dashboard Bakery' });
    await shows(shown);
    const key = (await shown.locator('code').textContent()) ?? '';
    await screenshot(page, 'clients');

    // The key works, and it is gone from the page once the page is reloaded.
    expect((await http.post('/api/v1/auth/token', null, { headers: { apikey: key } })).status).toBe(200);
    await page.reload();
    await shows(page.getByRole('cell', { name: 'Dashboard Bakery' }));
    expect(await page.content()).not.toContain(key);

    // Every instance, with its client and the upstream (Evolution API server) it lives on.
    const instance = await createInstance(http, await resellerToken(http, { id: 0, apiKey: key }));
    await page.getByRole('link', { name: 'Instances' }).click();
    const row = page.getByRole('row').filter({ hasText: instance.name });
    await shows(row.getByRole('cell', { name: 'Dashboard Bakery' }));
    await shows(row.getByRole('cell', { name: 'default', exact: true }));
    await shows(page.getByRole('columnheader', { name: 'Upstream' }));
    await screenshot(page, 'operator-instances');

    // The audit log: who did what, newest first.
    await page.getByRole('link', { name: 'Audit' }).click();
    const audit = page.getByRole('table', { name: 'Audit log' });
    await shows(audit.getByRole('row').filter({ hasText: 'client.created' }));
    await shows(audit.getByRole('row').filter({ hasText: 'admin.login' }));
    await screenshot(page, 'audit');
  });

  it('pages through every instance and every client of an operator', async () => {
    const owner = await createClient(http, admin, { max_instances: 200, rate_limit: 10000 });
    const jwt = await resellerToken(http, owner);
    const names: string[] = [];
    // More than one page of instances (100 a page), created ten at a time.
    for (let batch = 0; batch < 11; batch += 1) {
      const made = await Promise.all(Array.from({ length: 10 }, () => createInstance(http, jwt)));
      names.push(...made.map((instance) => instance.name));
    }
    const total = (await http.get('/api/admin/instances', { headers: { authorization: `Bearer ${admin}` } })).data
      .total as number;
    expect(total).toBeGreaterThan(100);
    const clients = [];
    for (let i = 0; i < 51; i += 1) clients.push(await createClient(http, admin, { name: `Paged client ${i}` }));

    const page = await newPage();
    await signInAsOperator(page);
    await shows(page.getByText(`1–100 of ${total} instances`));
    // Oldest first: the last instance made is on the last page.
    const last = names.at(-1)!;
    expect(await page.getByRole('cell', { name: last }).count()).toBe(0);
    await page.getByRole('button', { name: 'Next' }).click();
    await shows(page.getByText(`101–${total} of ${total} instances`));
    await shows(page.getByRole('cell', { name: last }));
    expect(page.url()).toContain('offset=100');
    // Back goes to the first page again.
    await page.goBack();
    await shows(page.getByText(`1–100 of ${total} instances`));
    await page.getByRole('button', { name: 'Previous' }).waitFor();
    expect(await page.getByRole('button', { name: 'Previous' }).isDisabled()).toBe(true);

    await page.getByRole('link', { name: 'Clients' }).click();
    await shows(page.getByText(/^1–50 of \d+ clients$/));
    await page.getByRole('button', { name: 'Next' }).click();
    await shows(page.getByRole('cell', { name: 'Paged client 50', exact: true }));
  }, 60000);

  it('does not show one tenant the instance of another by URL', async () => {
    const owner = await createClient(http, admin);
    const instance = await createInstance(http, await resellerToken(http, owner));
    const other = await createClient(http, admin);
    const page = await newPage(390);
    await signInWithKey(page, other);
    await shows(page.getByText('No instances yet'));
    await screenshot(page, 'phone-instances');
    const sockets: string[] = [];
    const reads: string[] = [];
    page.on('websocket', (socket) => sockets.push(socket.url()));
    page.on('request', (request) => {
      if (request.url().includes(`/sub-instances/${instance.name}`)) reads.push(request.url());
    });
    await page.goto(`${t.url}/dashboard/instances/${instance.name}`);
    await shows(page.getByRole('heading', { name: 'Instance not found' }));
    expect(await page.content()).not.toContain(instance.apiKey);
    // Said once, and nothing keeps asking: one read, and no live socket for an instance that is not there.
    await page.waitForLoadState('networkidle');
    expect(await page.getByRole('heading', { name: 'Instance not found' }).count()).toBe(1);
    expect(reads).toHaveLength(1);
    expect(sockets.filter((url) => url.includes('instance='))).toEqual([]);
  });

  it('returns to the sign-in page with a clear message when the session token expires or is refused', async () => {
    const client = await createClient(http, admin);
    const page = await newPage();
    const exchange = page.waitForRequest((request) => request.url().endsWith('/api/v1/auth/token'));
    await signInWithKey(page, client);
    // The dashboard asks for an 8-hour token.
    expect((await exchange).postDataJSON()).toEqual({ expires_in: 28800 });
    const session = JSON.parse((await readSession(page)) ?? 'null');
    const claims = claimsOf(session.token);
    expect(claims.exp - claims.iat).toBe(28800);
    const signedIn = { ...session, expiresAt: Date.now() + 3600_000 };
    const useToken = (token: string) => writeSession(page, JSON.stringify({ ...signedIn, token }));
    const expiredNotice = page.getByRole('alert').filter({ hasText: 'Your session has expired. Sign in again.' });

    // A token the API refuses as expired (401): the first call goes back to the sign-in page.
    await useToken(resellerJwt(t.env.JWT_SECRET, claims, nowSeconds() - 10));
    await page.reload();
    await shows(expiredNotice);
    await shows(page.getByLabel('API key'));
    await screenshot(page, 'session-expired');

    // A token that expires while the page is open: the live socket is closed for it (4401) and the page follows,
    // with no call of its own refused.
    const refused: string[] = [];
    page.on('response', (response) => {
      if (response.status() === 401) refused.push(response.url());
    });
    await useToken(resellerJwt(t.env.JWT_SECRET, claims, nowSeconds() + 6));
    await page.reload();
    await shows(page.getByText('live', { exact: true }));
    await shows(expiredNotice);
    expect(refused).toEqual([]);

    // The key behind the session is rotated without grace: the socket is closed (4403) and the page says why.
    await signInWithKey(page, client);
    await shows(page.getByText('live', { exact: true }));
    const rotated = await http.post(
      `/api/admin/clients/${client.id}/rotate-key`,
      {},
      { headers: { authorization: `Bearer ${admin}` } },
    );
    expect(rotated.status).toBe(200);
    await shows(page.getByRole('alert').filter({ hasText: 'Your session was ended: API key has been revoked' }));
    expect(await readSession(page)).toBeNull();
  }, 60000);

  it('refuses a wrong API key with the gateway message', async () => {
    const page = await newPage();
    await page.goto(`${t.url}/dashboard/`);
    await page.getByLabel('API key').fill('nm_live_not_a_key');
    await page.getByRole('button', { name: 'Sign in with API key' }).click();
    await shows(page.getByRole('alert'));
    expect(await page.getByRole('alert').textContent()).toMatch(/key/i);
    expect(await page.getByRole('heading', { name: 'Instances' }).count()).toBe(0);
  });
});
