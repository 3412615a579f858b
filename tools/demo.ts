/**
 * `npm run demo`: a gateway to try on a machine with Postgres and Redis but no phone. Creates the demo database,
 * applies migrations, starts the Evolution API simulator as the upstream and the gateway (API and worker), and prints
 * where everything is.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { DEFAULT_DASHBOARD_DIR } from '@/app/dashboard';
import { validateEnv } from '@/config/env.schema';
import { loadOrCreateSecretsFile } from '@/config/secrets';
import { startEvolutionSimulator } from '../test/upstream/evolution-simulator';

const ROOT = path.resolve(__dirname, '..');
const PORT = Number(process.env.PORT ?? 3000);
const SIM_PORT = Number(process.env.SIM_PORT ?? 8081);
/** Generated on the first run and kept, like a compose install's: the demo database stays readable across runs. */
const SECRETS_FILE = path.join(ROOT, '.demo-secrets.env');
const ADMIN_USERNAME = 'admin';

async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = target.pathname.slice(1);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE "${name.replace(/"/g, '')}"`);
  } finally {
    await client.end();
  }
}

async function main(): Promise<void> {
  const databaseUrl = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/nextmavens_demo';
  await ensureDatabase(databaseUrl);
  execFileSync(path.join(ROOT, 'node_modules', '.bin', 'prisma'), ['migrate', 'deploy'], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: databaseUrl },
    stdio: 'ignore',
  });

  const { values: secrets } = loadOrCreateSecretsFile(SECRETS_FILE);
  const sim = await startEvolutionSimulator({ port: SIM_PORT, globalKey: secrets.EVOLUTION_API_KEY! });
  const gatewayUrl = `http://127.0.0.1:${PORT}`;
  const env = validateEnv({
    PORT: String(PORT),
    HOST: '127.0.0.1',
    APP_ROLE: 'all',
    DATABASE_URL: databaseUrl,
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    REDIS_KEY_PREFIX: 'nm-demo',
    EVOLUTION_API_URL: sim.url,
    PUBLIC_URL: gatewayUrl,
    SECRETS_FILE,
    ADMIN_USERNAME,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  });
  // The dashboard is served from the last build; a fresh checkout builds it once (a few seconds).
  if (!existsSync(path.join(DEFAULT_DASHBOARD_DIR, 'index.html'))) {
    process.stdout.write('Building the dashboard (npm run build:dashboard)...\n');
    execFileSync('npm', ['run', '-s', 'build:dashboard'], { cwd: ROOT, stdio: 'inherit' });
  }
  const { createApp } = await import('@/app/create-app');
  const app = await createApp(env);
  await app.listen({ port: PORT, host: '127.0.0.1' });

  process.stdout.write(
    [
      '',
      'NextMavens gateway demo is running (Ctrl-C stops it).',
      `  Gateway:        ${gatewayUrl}`,
      `  Dashboard:      ${gatewayUrl}/dashboard  (operators sign in with the admin login below)`,
      `  API reference:  ${gatewayUrl}/docs`,
      `  Readiness:      ${gatewayUrl}/health/ready`,
      `  Simulator:      ${sim.url}  (Evolution API stand-in, global key ${secrets.EVOLUTION_API_KEY})`,
      `  Admin login:    ${ADMIN_USERNAME} / ${secrets.ADMIN_PASSWORD}`,
      `  Secrets:        ${SECRETS_FILE} (generated on the first run, kept for the next)`,
      '',
      'Try:',
      `  curl -s ${gatewayUrl}/health/ready`,
      `  curl -s -X POST ${gatewayUrl}/api/login -H 'content-type: application/json' \\`,
      `       -d '{"username":"${ADMIN_USERNAME}","password":"${secrets.ADMIN_PASSWORD}"}'`,
      '  # "Scan" the QR of an instance you created in the dashboard (the simulator has no phone):',
      `  curl -s -X POST ${sim.url}/__sim/instances/<name>/scan -H 'apikey: ${secrets.EVOLUTION_API_KEY}'`,
      '',
    ].join('\n'),
  );

  const stop = async () => {
    await app.close();
    await sim.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

main().catch((err: unknown) => {
  process.stderr.write(`Demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
