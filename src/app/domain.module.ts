import { Module } from '@nestjs/common';
import { BulkModule } from '@/modules/bulk/bulk.module';
import { IdempotencyModule } from '@/modules/idempotency/idempotency.module';
import { InstancesModule } from '@/modules/instances/instances.module';
import { MaintenanceModule } from '@/modules/maintenance/maintenance.module';
import { MessagesModule } from '@/modules/messages/messages.module';
import { WebhooksModule } from '@/modules/webhooks/webhooks.module';

/** Feature services that both the API and the worker use. No controllers and no processors here. */
const FEATURES = [InstancesModule, MessagesModule, BulkModule, WebhooksModule, IdempotencyModule, MaintenanceModule];

@Module({ imports: FEATURES, exports: FEATURES })
export class DomainModule {}
