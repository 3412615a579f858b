import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import { Queue } from 'bullmq';
import { Instance } from '@/generated/prisma/client';
import { CheckRestrictionPayload } from '@/queue/job-payloads';
import { JobName, QueueName } from '@/queue/queue-names';

/** At most one check of an instance's upstream record per window, however many sends fail meanwhile. */
const CHECK_WINDOW_MS = 60_000;

/**
 * Watches the sends the upstream refuses with "Connection Closed": the instance is down while the gateway may still
 * think it open, because the upstream's close, which says whether WhatsApp logged the number out or banned it, never
 * arrived (a failed webhook, a receiver down past the upstream's retries). Each such refusal queues a check of the
 * upstream's record of the instance (one per instance per minute), which restricts the instance when the record
 * says so; a connection that merely dropped is left to reconnect.
 */
@Injectable()
export class ClosedSendWatch {
  constructor(@InjectQueue(QueueName.UpstreamEvents) private readonly queue: Queue<CheckRestrictionPayload>) {}

  async refused(instance: Pick<Instance, 'id' | 'clientId' | 'name'>): Promise<void> {
    await this.queue.add(
      JobName.CheckRestriction,
      { clientId: instance.clientId, instanceId: instance.id, instanceName: instance.name },
      {
        jobId: `check-restriction-${instance.id}-${Math.floor(Date.now() / CHECK_WINDOW_MS)}`,
        attempts: 3,
        backoff: { type: 'exponential', delay: 1000 },
      },
    );
  }
}
