import { Global, Module } from '@nestjs/common';
import { DeliveryRepository } from './delivery.repository';
import { UpstreamWebhookService } from './upstream-webhook.service';
import { WebhookConfigService } from './webhook-config.service';
import { WebhookDeliveryService } from './webhook-delivery.service';
import { WebhookLogService } from './webhook-log.service';

@Global()
@Module({
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
