// Queue `webhook-delivery`: DeliverPayload, one job per attempt (3 tries for the gateway's own failures, then the
// sweeper); the retry schedule between attempts is WEBHOOK_RETRY_SCHEDULE, kept in Postgres.
import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Job } from 'bullmq';
import { DeliverPayload } from '@/queue/job-payloads';
import { QueueName } from '@/queue/queue-names';
import { WebhookDeliveryService } from './webhook-delivery.service';

const SWEEP_EVERY_MS = 15000;

@Processor(QueueName.WebhookDelivery, { concurrency: 20 })
export class WebhookDeliveryProcessor extends WorkerHost implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(WebhookDeliveryProcessor.name);
  private sweepTimer?: NodeJS.Timeout;

  constructor(private readonly deliveries: WebhookDeliveryService) {
    super();
  }

  onApplicationBootstrap(): void {
    const sweep = () =>
      this.deliveries.sweepDue().catch((err: unknown) => this.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'Delivery sweep failed'));
    void sweep();
    this.sweepTimer = setInterval(sweep, SWEEP_EVERY_MS);
    this.sweepTimer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.sweepTimer);
  }

  process(job: Job<DeliverPayload>): Promise<void> {
    return this.deliveries.attempt(job.data.clientId, job.data.deliveryId);
  }
}
