import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import { Queue } from 'bullmq';
import { RunBulkPayload } from '@/queue/job-payloads';
import { JobName, QueueName } from '@/queue/queue-names';

/**
 * Producer side of the bulk queue. One driver job per bulk (its id is the bulk's), so re-driving is always safe:
 * adding a bulk that already has a driver changes nothing.
 */
@Injectable()
export class BulkQueueService {
  constructor(@InjectQueue(QueueName.Bulk) private readonly queue: Queue<RunBulkPayload>) {}

  async drive(clientId: number, bulkId: string): Promise<void> {
    await this.queue.add(
      JobName.RunBulk,
      { clientId, bulkId },
      {
        jobId: `bulk-${bulkId}`,
        removeOnComplete: true,
        removeOnFail: true,
        attempts: 20,
        backoff: { type: 'exponential', delay: 5000 },
      },
    );
  }

  /** Resumes a bulk the daily cap paused, when the cap frees. */
  async resumeAt(clientId: number, bulkId: string, at: Date): Promise<void> {
    await this.queue.add(
      JobName.ResumeBulk,
      { clientId, bulkId },
      {
        jobId: `resume-${bulkId}-${at.getTime()}`,
        delay: Math.max(0, at.getTime() - Date.now()),
        removeOnComplete: true,
      },
    );
  }
}
