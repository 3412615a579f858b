import { Global, Module } from '@nestjs/common';
import { UpstreamWebhookService } from './upstream-webhook.service';
import { WebhookConfigService } from './webhook-config.service';

@Global()
@Module({ providers: [UpstreamWebhookService, WebhookConfigService], exports: [UpstreamWebhookService, WebhookConfigService] })
export class WebhooksModule {}
