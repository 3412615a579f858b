import { Module } from '@nestjs/common';
import { BulkModule } from '@/modules/bulk/bulk.module';
import { BulkProcessor } from '@/modules/bulk/bulk.processor';
import { InstanceTokensProcessor } from '@/modules/instances/instance-tokens.processor';
import { InstancesModule } from '@/modules/instances/instances.module';
import { MaintenanceModule } from '@/modules/maintenance/maintenance.module';
import { MaintenanceProcessor } from '@/modules/maintenance/maintenance.processor';
import { SchedulingModule } from '@/modules/scheduling/scheduling.module';
import { UpstreamEventsProcessor } from '@/modules/webhooks/upstream-events.processor';
import { WebhookDeliveryProcessor } from '@/modules/webhooks/webhook-delivery.processor';
import { WebhooksModule } from '@/modules/webhooks/webhooks.module';
import { WorkerDrainService } from './worker-drain.service';

/** Every BullMQ processor: importing this is what makes a process a worker. */
@Module({
  imports: [BulkModule, InstancesModule, MaintenanceModule, SchedulingModule, WebhooksModule],
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
