import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { ConfigError, validateEnv } from './config/env.schema';

async function main(): Promise<void> {
  let env;
  try {
    env = validateEnv(process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\nSee .env.example for every variable and its default.\n`);
    process.exit(1);
  }

  // Loaded after validation so a configuration error is reported at once, before the framework loads.
  const { createApp } = await import('./app/create-app');
  const { closeGracefully } = await import('./app/graceful-shutdown');
  const app = await createApp(env);
  const logger = new Logger('Main');
  await app.listen({ port: env.PORT, host: env.HOST });
  logger.log({ role: env.APP_ROLE, port: env.PORT }, 'Gateway started');

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.log({ signal }, 'Shutting down: no new requests, finishing in-flight requests and jobs');
    // Past the deadline, in-flight work is abandoned; queued jobs stay in Redis and are retried by another worker.
    setTimeout(() => process.exit(1), env.SHUTDOWN_TIMEOUT_MS).unref();
    closeGracefully(app).then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'Shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

void main();
