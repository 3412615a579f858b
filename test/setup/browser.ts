import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Browser, chromium } from 'playwright-core';

const ROOT = path.resolve(__dirname, '..', '..');
/** Debian's chromium package; .ci/run installs it when missing (Playwright's own browser download is not used). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * The dashboard built from the current sources into a folder of its own, so a test never serves a stale
 * dist/dashboard. Returns the folder and a function that removes it.
 */
export function buildDashboard(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'nm-dashboard-'));
  const vite = path.join(ROOT, 'node_modules', '.bin', 'vite');
  const build = spawnSync(
    vite,
    ['build', '--config', 'dashboard/vite.config.mts', '--outDir', dir, '--emptyOutDir', '--logLevel', 'error'],
    // Jest sets NODE_ENV=test, which Vite would take for a development build of React: the tests drive the
    // production bundle that the gateway serves.
    { cwd: ROOT, encoding: 'utf8', timeout: 120_000, env: { ...process.env, NODE_ENV: 'production' } },
  );
  if (build.status !== 0) throw new Error(`dashboard build failed: ${build.stderr || build.stdout}`);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Headless Chromium with the flags that keep it off the network it cannot reach here. */
export function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
