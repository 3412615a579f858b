// Queue `maintenance`, payload PurgeExpiredPayload, default retries (5, exponential); repeats hourly via a job scheduler.
import { InjectQueue, Processor, WorkerHost } from '@nestjs/bullmq';
import { OnApplicationBootstrap } from '@nestjs/common';
import { Job, Queue } from 'bullmq';
import { JobName, QueueName } from '@/queue/queue-names';
import { MaintenanceService } from './maintenance.service';

const PURGE_EVERY_MS = 3600 * 1000;

@Processor(QueueName.Maintenance)
export class MaintenanceProcessor extends WorkerHost implements OnApplicationBootstrap {
  constructor(
    private readonly service: MaintenanceService,
    @InjectQueue(QueueName.Maintenance) private readonly queue: Queue,
  ) {
    super();
  }

  /** Upserting the scheduler is idempotent, so every worker replica may do it at boot. */
  async onApplicationBootstrap(): Promise<void> {
    await this.queue.upsertJobScheduler(
      JobName.PurgeExpired,
      { every: PURGE_EVERY_MS },
      { name: JobName.PurgeExpired, data: {} },
    );
  }

  async process(job: Job): Promise<unknown> {
    if (job.name === JobName.PurgeExpired) return this.service.purgeExpired();
    return undefined;
  }
}
