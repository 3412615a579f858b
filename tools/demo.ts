/**
 * `npm run demo`: a gateway to try on a machine with Postgres and Redis but no phone. Creates the demo database,
 * applies migrations, starts the Evolution API simulator as the upstream and the gateway (API and worker), and prints
 * where everything is.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { Client } from 'pg';
import { validateEnv } from '@/config/env.schema';
import { startEvolutionSimulator } from '../test/upstream/evolution-simulator';

const ROOT = path.resolve(__dirname, '..');
const PORT = Number(process.env.PORT ?? 3000);
const SIM_PORT = Number(process.env.SIM_PORT ?? 8081);
const GLOBAL_KEY = 'demo-evolution-global-key';
const ADMIN = { username: 'admin', password: 'demo-admin-password' };
const MASTER_KEY = 'nm_master_demo_0123456789abcdef0123456789abcdef';

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

  const sim = await startEvolutionSimulator({ port: SIM_PORT, globalKey: GLOBAL_KEY });
  const gatewayUrl = `http://127.0.0.1:${PORT}`;
  const env = validateEnv({
    PORT: String(PORT),
    HOST: '127.0.0.1',
    APP_ROLE: 'all',
    DATABASE_URL: databaseUrl,
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    REDIS_KEY_PREFIX: 'nm-demo',
    EVOLUTION_API_URL: sim.url,
    EVOLUTION_API_KEY: GLOBAL_KEY,
    PUBLIC_URL: gatewayUrl,
    JWT_SECRET: 'demo-jwt-secret-not-for-production-0123456789',
    ENCRYPTION_KEY: '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff',
    ADMIN_USERNAME: ADMIN.username,
    ADMIN_PASSWORD: ADMIN.password,
    MASTER_API_KEY: MASTER_KEY,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  });
  const { createApp } = await import('@/app/create-app');
  const app = await createApp(env);
  await app.listen({ port: PORT, host: '127.0.0.1' });

  process.stdout.write(
    [
      '',
      'NextMavens gateway demo is running (Ctrl-C stops it).',
      `  Gateway:        ${gatewayUrl}`,
      `  API reference:  ${gatewayUrl}/docs`,
      `  Readiness:      ${gatewayUrl}/health/ready`,
      `  Simulator:      ${sim.url}  (Evolution API stand-in, global key ${GLOBAL_KEY})`,
      `  Admin login:    ${ADMIN.username} / ${ADMIN.password}`,
      `  Master API key: ${MASTER_KEY}`,
      '',
      'Try:',
      `  curl -s ${gatewayUrl}/health/ready`,
      `  curl -s -X POST ${gatewayUrl}/api/login -H 'content-type: application/json' \\`,
      `       -d '{"username":"${ADMIN.username}","password":"${ADMIN.password}"}'`,
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
