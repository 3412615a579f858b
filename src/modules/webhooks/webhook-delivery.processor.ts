// Queue `webhook-delivery`: DeliverPayload, one wake-up job per due attempt (3 tries for the gateway's own failures,
// then removed and re-queued by the sweeper); the retry schedule between attempts is WEBHOOK_RETRY_SCHEDULE, kept in Postgres.
import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
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
      void this.deliveries
        .sweepDue()
        .catch((err: unknown) =>
          this.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'Delivery sweep failed'),
        );
    sweep();
    this.sweepTimer = setInterval(sweep, SWEEP_EVERY_MS);
    this.sweepTimer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.sweepTimer);
  }

  process(job: Job<DeliverPayload>): Promise<void> {
    return this.deliveries.attempt(job.data.clientId, job.data.deliveryId);
  }

  /** Failed jobs are not kept (their ids must stay free for the sweeper), so the log is where such a failure shows. */
  @OnWorkerEvent('failed')
  onFailed(job: Job<DeliverPayload> | undefined, err: Error): void {
    if (!job || job.attemptsMade < (job.opts.attempts ?? 1)) return;
    this.logger.warn(
      { jobId: job.id, clientId: job.data.clientId, deliveryId: job.data.deliveryId, err: err.message },
      'Delivery job failed its tries; the sweeper queues it again',
    );
  }
}
