import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppConfig } from '@/config/app-config';
import { WorkerDrainService } from './worker-drain.service';

/**
 * Stops the gateway from the outside in. Nest alone would run the module-destroy hooks (which close Postgres, Redis
 * and the upstream's sockets) before it stops the HTTP server and the BullMQ workers, cutting in-flight requests
 * and jobs off from what they need. So: HTTP first (in-flight requests finish), then the workers (active jobs
 * finish), then Nest's own shutdown.
 */
export async function closeGracefully(app: NestFastifyApplication): Promise<void> {
  await app.getHttpAdapter().getInstance().close();
  if (app.get(AppConfig).get('APP_ROLE') !== 'api') await app.get(WorkerDrainService).drain();
  await app.close();
}
