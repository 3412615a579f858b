import Fastify, { FastifyInstance } from 'fastify';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { registerDashboard } from './dashboard';

describe('registerDashboard', () => {
  let dir: string;
  let app: FastifyInstance;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'dashboard-spec-'));
    mkdirSync(path.join(dir, 'assets'));
    writeFileSync(path.join(dir, 'index.html'), '<!doctype html><div id="root"></div>');
    writeFileSync(path.join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(() => app.close());

  async function serve(from: string): Promise<FastifyInstance> {
    app = Fastify();
    await registerDashboard(app, from);
    await app.ready();
    return app;
  }

  it('answers the app for /dashboard and any page below it, never cached', async () => {
    await serve(dir);
    for (const url of ['/dashboard', '/dashboard/', '/dashboard/instances/shop.1', '/dashboard/messages?status=read']) {
      const res = await app.inject({ url });
      expect({ url, status: res.statusCode }).toEqual({ url, status: 200 });
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.body).toContain('<div id="root">');
    }
  });

  it('serves hashed assets cached for a year, and a missing asset as a 404 in the error shape', async () => {
    await serve(dir);
    const asset = await app.inject({ url: '/dashboard/assets/index-abc123.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(asset.body).toBe('console.log(1)');

    const missing = await app.inject({ url: '/dashboard/assets/gone.js' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({
      statusCode: 404,
      error: 'Not Found',
      code: 'NOT_FOUND',
      message: 'dashboard: no such file',
    });
  });

  it('says the dashboard is not built when its folder has no index.html', async () => {
    await serve(path.join(dir, 'missing'));
    const res = await app.inject({ url: '/dashboard/instances' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({
      code: 'DASHBOARD_NOT_BUILT',
      message: 'dashboard: not built; run npm run build',
    });
  });
});
