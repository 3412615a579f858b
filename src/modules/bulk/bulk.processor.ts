// Queue `bulk`: RunBulkPayload for `run-bulk` (one driver per bulk, 20 attempts, exponential from 5 s) and
// `resume-bulk` (delayed to when a daily cap frees). Locks are short so a killed worker's bulk moves on quickly.
import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger, OnApplicationBootstrap, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Job } from 'bullmq';
import { AppConfig } from '@/config/app-config';
import { RunBulkPayload } from '@/queue/job-payloads';
import { JobName, QueueName } from '@/queue/queue-names';
import { BulkRunnerService } from './bulk-runner.service';

/** How often the worker re-drives bulks whose driver job was lost (a Redis restart loses queued jobs). */
const REDRIVE_EVERY_MS = 10000;

@Processor(QueueName.Bulk, { lockDuration: 10000, stalledInterval: 5000, maxStalledCount: 1000 })
export class BulkProcessor extends WorkerHost implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(BulkProcessor.name);
  private redriveTimer?: NodeJS.Timeout;

  constructor(
    private readonly runner: BulkRunnerService,
    private readonly config: AppConfig,
  ) {
    super();
  }

  onModuleInit(): void {
    this.worker.concurrency = this.config.get('BULK_CONCURRENCY');
  }

  onApplicationBootstrap(): void {
    const redrive = () =>
      void this.runner
        .redriveActive()
        .catch((err: unknown) =>
          this.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'Bulk re-drive failed'),
        );
    redrive();
    this.redriveTimer = setInterval(redrive, REDRIVE_EVERY_MS);
    this.redriveTimer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.redriveTimer);
  }

  async process(job: Job<RunBulkPayload>): Promise<void> {
    if (job.name === JobName.ResumeBulk) return this.runner.resumeAfterCap(job.data.clientId, job.data.bulkId);
    return this.runner.run(job.data.clientId, job.data.bulkId);
  }
}
