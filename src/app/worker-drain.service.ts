import { WorkerHost } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import { BulkProcessor } from '@/modules/bulk/bulk.processor';
import { BulkRunnerService } from '@/modules/bulk/bulk-runner.service';
import { InstanceTokensProcessor } from '@/modules/instances/instance-tokens.processor';
import { MaintenanceProcessor } from '@/modules/maintenance/maintenance.processor';
import { UpstreamEventsProcessor } from '@/modules/webhooks/upstream-events.processor';
import { WebhookDeliveryProcessor } from '@/modules/webhooks/webhook-delivery.processor';

/**
 * Stops taking jobs and waits for the active ones, while Postgres, Redis and the upstream are still connected.
 * A bulk driver hands its bulk back after the recipient in hand; Postgres keeps its place and any worker re-drives it.
 */
@Injectable()
export class WorkerDrainService {
  private readonly hosts: WorkerHost[];

  constructor(
    private readonly bulkRunner: BulkRunnerService,
    bulk: BulkProcessor,
    maintenance: MaintenanceProcessor,
    instanceTokens: InstanceTokensProcessor,
    upstreamEvents: UpstreamEventsProcessor,
    webhookDelivery: WebhookDeliveryProcessor,
  ) {
    this.hosts = [bulk, maintenance, instanceTokens, upstreamEvents, webhookDelivery];
  }

  async drain(): Promise<void> {
    this.bulkRunner.stop();
    await Promise.all(this.hosts.map((host) => host.worker.close()));
  }
}
