// Queue `upstream-events`:
// - ApplyStatusPayload, 6 attempts with exponential backoff from 500 ms (then dropped: a status for a message the
//   gateway never sent, e.g. one typed on the phone);
// - CheckRestrictionPayload, 3 attempts from 1 s (the upstream may be briefly unreachable).
import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Job } from 'bullmq';
import { ApplyStatusPayload, CheckRestrictionPayload } from '@/queue/job-payloads';
import { JobName, QueueName } from '@/queue/queue-names';
import { UpstreamWebhookService } from './upstream-webhook.service';

@Processor(QueueName.UpstreamEvents)
export class UpstreamEventsProcessor extends WorkerHost {
  constructor(private readonly receiver: UpstreamWebhookService) {
    super();
  }

  process(job: Job<ApplyStatusPayload | CheckRestrictionPayload>): Promise<string> {
    if (job.name === JobName.CheckRestriction)
      return this.receiver.checkRestriction(job.data as CheckRestrictionPayload);
    return this.receiver.retryStatus(job.data as ApplyStatusPayload);
  }
}
