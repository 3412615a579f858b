import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { Client } from 'pg';
import { createApp } from '@/app/create-app';
import { closeGracefully } from '@/app/graceful-shutdown';
import { AppConfig } from '@/config/app-config';
import { EnvSchema } from '@/config/env.schema';
import { upstreamWebhookToken } from '@/integrations/evolution/upstream-webhook';
import {
  EvolutionSimulator,
  EvolutionSimulatorOptions,
  startEvolutionSimulator,
} from '../upstream/evolution-simulator';
import { isolatedEnv, TEST_GLOBAL_KEY } from './test-env';

export interface TestApp {
  app: NestFastifyApplication;
  /** Base URL of the gateway, listening on loopback. */
  url: string;
  sim: EvolutionSimulator;
  env: EnvSchema;
  close: () => Promise<void>;
}

/**
 * The whole gateway (API and worker in one process unless APP_ROLE says otherwise) on its own database and Redis
 * prefix, against a fresh Evolution API simulator, both listening on loopback so webhooks flow over real HTTP.
 */
export async function startTestApp(
  overrides: Record<string, string> = {},
  simOptions: Omit<EvolutionSimulatorOptions, 'port' | 'globalKey'> = {},
): Promise<TestApp> {
  const sim = await startEvolutionSimulator({ ...simOptions, port: 0, globalKey: TEST_GLOBAL_KEY });
  // The port is chosen first because PUBLIC_URL, where the upstream sends webhooks, must name it.
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const isolated = await isolatedEnv({
    EVOLUTION_API_URL: sim.url,
    PUBLIC_URL: url,
    PORT: String(port),
    ...overrides,
  }).catch(async (err) => {
    await sim.close();
    throw err;
  });
  let app: NestFastifyApplication | undefined;
  try {
    app = await createApp(isolated.env);
    await app.listen({ port, host: '127.0.0.1' });
  } catch (err) {
    await app?.close();
    await sim.close();
    await isolated.cleanup();
    throw err;
  }
  return {
    app,
    url,
    sim,
    env: isolated.env,
    close: async () => {
      await closeGracefully(app);
      await sim.close();
      await isolated.cleanup();
    },
  };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Reads or changes this app's database directly, for assertions on what is stored. */
export async function queryDb(
  t: { env: EnvSchema },
  sql: string,
  params: unknown[] = [],
): Promise<Record<string, unknown>[]> {
  const client = new Client({ connectionString: t.env.DATABASE_URL });
  await client.connect();
  try {
    return (await client.query<Record<string, unknown>>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/** The token the gateway registered as the instance's upstream webhook header, for posting events by hand. */
export async function upstreamWebhookTokenOf(t: TestApp, instanceId: string): Promise<string> {
  const [row] = await queryDb(t, 'SELECT upstream_id FROM instances WHERE id = $1', [instanceId]);
  return upstreamWebhookToken(t.app.get(AppConfig), instanceId, row!.upstream_id as number);
}
