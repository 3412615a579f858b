import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppConfig } from '@/config/app-config';
import { EventsGateway } from '@/modules/events/events.gateway';
import { WorkerDrainService } from './worker-drain.service';

/**
 * Stops the gateway from the outside in. Nest alone would run the module-destroy hooks (which close Postgres, Redis
 * and the upstream's sockets) before it stops the HTTP server and the BullMQ workers, cutting in-flight requests
 * and jobs off from what they need. So: `/ws` sockets first (closed with 1001, so their clients reconnect to another
 * process; the HTTP server would otherwise wait for them), then HTTP (in-flight requests finish), then the workers
 * (active jobs finish), then Nest's own shutdown, which also closes the live events subscription.
 */
export async function closeGracefully(app: NestFastifyApplication): Promise<void> {
  const role = app.get(AppConfig).get('APP_ROLE');
  if (role !== 'worker') await app.get(EventsGateway).closeAll();
  await app.getHttpAdapter().getInstance().close();
  if (role !== 'api') await app.get(WorkerDrainService).drain();
  await app.close();
}
