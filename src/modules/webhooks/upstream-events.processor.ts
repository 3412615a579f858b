// Queue `upstream-events`: ApplyStatusPayload, 6 attempts with exponential backoff from 500 ms (then dropped:
// a status for a message the gateway never sent, e.g. one typed on the phone).
import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Job } from 'bullmq';
import { ApplyStatusPayload } from '@/queue/job-payloads';
import { QueueName } from '@/queue/queue-names';
import { UpstreamWebhookService } from './upstream-webhook.service';

@Processor(QueueName.UpstreamEvents)
export class UpstreamEventsProcessor extends WorkerHost {
  constructor(private readonly receiver: UpstreamWebhookService) {
    super();
  }

  process(job: Job<ApplyStatusPayload>): Promise<string> {
    return this.receiver.retryStatus(job.data);
  }
}
