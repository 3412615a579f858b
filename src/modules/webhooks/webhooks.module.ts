import { Module } from '@nestjs/common';
import { OutboundModule } from '@/common/net/outbound.module';
import { BulkModule } from '@/modules/bulk/bulk.module';
import { EventsModule } from '@/modules/events/events.module';
import { InstancesModule } from '@/modules/instances/instances.module';
import { MessagesModule } from '@/modules/messages/messages.module';
import { OptOutsModule } from '@/modules/opt-outs/opt-outs.module';
import { DeliveryRepository } from './delivery.repository';
import { UpstreamWebhookService } from './upstream-webhook.service';
import { WebhookConfigService } from './webhook-config.service';
import { WebhookDeliveryService } from './webhook-delivery.service';
import { WebhookLogService } from './webhook-log.service';

@Module({
  imports: [BulkModule, EventsModule, InstancesModule, MessagesModule, OptOutsModule, OutboundModule],
  providers: [
    UpstreamWebhookService,
    WebhookConfigService,
    DeliveryRepository,
    WebhookDeliveryService,
    WebhookLogService,
  ],
  exports: [UpstreamWebhookService, WebhookConfigService, WebhookDeliveryService, WebhookLogService],
})
export class WebhooksModule {}
