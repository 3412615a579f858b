import { AxiosInstance } from 'axios';
import path from 'node:path';
import { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { adminToken, createClient, httpClient, TestClient } from '../factories/client.factory';
import { createInstance, resellerToken } from '../factories/instance.factory';
import { buildDashboard, launchBrowser } from '../setup/browser';
import { startTestApp, TestApp } from '../setup/test-app';
import { TEST_ADMIN } from '../setup/test-env';

/** Set to a folder (docs/screenshots) to save the main pages as PNG files for the docs. */
const SCREENSHOTS_DIR = process.env.SCREENSHOTS_DIR;

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

  it('links an instance by QR and shows it open without a reload, then a message reaching read live', async () => {
    const client = await createClient(http, admin);
    const page = await newPage();
    await signInWithKey(page, client);
    let loads = 0;
    page.on('load', () => (loads += 1));

    await page.getByRole('button', { name: 'Create instance' }).click();
    await page.getByLabel('Instance name').fill('dash-shop');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    const qr = page.getByAltText('QR code for dash-shop');
    await shows(qr);
    expect(await qr.getAttribute('src')).toMatch(/^data:image\/png;base64,/);
    await shows(page.getByText('API key:'));
    await screenshot(page, 'qr-code');

    t.sim.scan('dash-shop');
    await shows(page.getByRole('status').filter({ hasText: 'Connected' }));
    await page.getByRole('button', { name: 'Close' }).click();
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
  });

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
    await shows(page.getByRole('table', { name: 'Recipients' }).getByText('254712000003'));
  });

  it('shows an operator the new client key once', async () => {
    const page = await newPage();
    await page.goto(`${t.url}/dashboard/`);
    await page.getByLabel('Username').fill(TEST_ADMIN.username);
    await page.getByLabel('Password').fill(TEST_ADMIN.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
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
  });

  it('does not show one tenant the instance of another by URL', async () => {
    const owner = await createClient(http, admin);
    const instance = await createInstance(http, await resellerToken(http, owner));
    const other = await createClient(http, admin);
    const page = await newPage(390);
    await signInWithKey(page, other);
    await screenshot(page, 'phone-instances');
    await page.goto(`${t.url}/dashboard/instances/${instance.name}`);
    await shows(page.getByRole('heading', { name: 'Instance not found' }));
    expect(await page.content()).not.toContain(instance.apiKey);
  });

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
