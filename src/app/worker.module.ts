import { Module } from '@nestjs/common';
import { BulkProcessor } from '@/modules/bulk/bulk.processor';
import { InstanceTokensProcessor } from '@/modules/instances/instance-tokens.processor';
import { MaintenanceProcessor } from '@/modules/maintenance/maintenance.processor';
import { UpstreamEventsProcessor } from '@/modules/webhooks/upstream-events.processor';
import { WebhookDeliveryProcessor } from '@/modules/webhooks/webhook-delivery.processor';
import { DomainModule } from './domain.module';
import { WorkerDrainService } from './worker-drain.service';

/** Every BullMQ processor: importing this is what makes a process a worker. */
@Module({
  imports: [DomainModule],
  providers: [
    BulkProcessor,
    MaintenanceProcessor,
    InstanceTokensProcessor,
    UpstreamEventsProcessor,
    WebhookDeliveryProcessor,
    WorkerDrainService,
  ],
})
export class WorkerModule {}
