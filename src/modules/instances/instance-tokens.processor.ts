// Queue `instance-tokens`: RefreshTokenPayload (one attempt, de-duplicated by job id per instance) and
// CheckDriftPayload (every 5 minutes through a job scheduler, default retries).
import { InjectQueue, Processor, WorkerHost } from '@nestjs/bullmq';
import { OnApplicationBootstrap } from '@nestjs/common';
import { Job, Queue } from 'bullmq';
import { RefreshTokenPayload } from '@/queue/job-payloads';
import { JobName, QueueName } from '@/queue/queue-names';
import { InstanceUpkeepService } from './instance-upkeep.service';

const DRIFT_CHECK_EVERY_MS = 5 * 60 * 1000;

@Processor(QueueName.InstanceTokens)
export class InstanceTokensProcessor extends WorkerHost implements OnApplicationBootstrap {
  constructor(
    private readonly upkeep: InstanceUpkeepService,
    @InjectQueue(QueueName.InstanceTokens) private readonly queue: Queue,
  ) {
    super();
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.queue.upsertJobScheduler(
      JobName.CheckDrift,
      { every: DRIFT_CHECK_EVERY_MS },
      { name: JobName.CheckDrift, data: {} },
    );
  }

  async process(job: Job): Promise<unknown> {
    switch (job.name) {
      case JobName.RefreshToken:
        return this.upkeep.refreshToken((job.data as RefreshTokenPayload).instanceId);
      case JobName.CheckDrift:
        return this.upkeep.checkDrift();
      default:
        return undefined;
    }
  }
}
