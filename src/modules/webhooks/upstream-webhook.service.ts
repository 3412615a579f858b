import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import { Queue } from 'bullmq';
import { NotFoundError, UnauthorizedError } from '@/common/errors/app-error';
import { AppConfig } from '@/config/app-config';
import { isUpstreamWebhookToken } from '@/integrations/evolution/upstream-webhook';
import { BulkService } from '@/modules/bulk/bulk.service';
import { InstancesService } from '@/modules/instances/instances.service';
import { UPSTREAM_STATUS } from '@/modules/messages/message-status';
import { MessageRepository } from '@/modules/messages/message.repository';
import { ApplyStatusPayload } from '@/queue/job-payloads';
import { JobName, QueueName } from '@/queue/queue-names';

interface UpstreamEnvelope {
  event?: unknown;
  data?: Record<string, unknown>;
}

/** The suffix form `/messages-update` (contract §4.2) names the same event as `messages.update`. */
function eventName(body: UpstreamEnvelope, suffix?: string): string {
  if (typeof body.event === 'string') return body.event;
  return (suffix ?? '').replace(/-/g, '.');
}

/**
 * Consumes what the upstream posts to the gateway: delivery status moves the message log, connection state moves the
 * instance. Repeats are skipped (the upstream resends, contract §4.3 and §11), and the answer is fast.
 */
@Injectable()
export class UpstreamWebhookService {
  constructor(
    private readonly config: AppConfig,
    private readonly instances: InstancesService,
    private readonly messages: MessageRepository,
    private readonly bulks: BulkService,
    @InjectQueue(QueueName.UpstreamEvents) private readonly queue: Queue<ApplyStatusPayload>,
  ) {}

  async receive(instanceName: string, token: string | undefined, body: UpstreamEnvelope, suffix?: string): Promise<{ received: true }> {
    const instance = await this.instances.findLiveByNameForSystem(instanceName);
    if (!instance) throw new NotFoundError(`Instance "${instanceName}" does not exist`, 'INSTANCE_NOT_FOUND');
    if (!isUpstreamWebhookToken(this.config, instance.id, token)) {
      throw new UnauthorizedError('Webhook token missing or wrong', 'INVALID_WEBHOOK_TOKEN');
    }
    const data = body.data ?? {};
    switch (eventName(body, suffix)) {
      case 'messages.update':
        await this.applyStatus(instance.clientId, instance.id, data);
        break;
      case 'connection.update':
        if (typeof data.state === 'string') {
          await this.instances.recordUpstreamState(instance, data.state, typeof data.wuid === 'string' ? data.wuid : undefined);
          if (data.state === 'open') await this.bulks.resumeAfterReconnect(instance.id);
        }
        break;
      default:
        break;
    }
    return { received: true };
  }

  private async applyStatus(clientId: number, instanceId: string, data: Record<string, unknown>): Promise<void> {
    const status = typeof data.status === 'string' ? UPSTREAM_STATUS[data.status] : undefined;
    const upstreamMessageId = typeof data.keyId === 'string' ? data.keyId : undefined;
    if (!status || !upstreamMessageId) return;
    const dedupeKey = `messages.update:${upstreamMessageId}:${String(data.status)}`;
    const outcome = await this.messages.applyUpstreamStatusForSystem(instanceId, upstreamMessageId, status, dedupeKey);
    if (outcome === 'unknown') {
      // The webhook can beat the send's own bookkeeping; try again shortly instead of losing the status.
      await this.queue.add(
        JobName.ApplyStatus,
        { clientId, instanceId, upstreamMessageId, status: status as ApplyStatusPayload['status'], dedupeKey },
        { jobId: `apply-${instanceId}-${dedupeKey.replace(/:/g, '-')}`, attempts: 6, backoff: { type: 'exponential', delay: 500 } },
      );
    }
  }

  /** Worker side of the retry: throws while the message is still unknown, so BullMQ tries again. */
  async retryStatus(payload: ApplyStatusPayload): Promise<string> {
    const outcome = await this.messages.applyUpstreamStatusForSystem(payload.instanceId, payload.upstreamMessageId, payload.status, payload.dedupeKey);
    if (outcome === 'unknown') throw new Error('message not logged yet');
    return outcome;
  }
}
