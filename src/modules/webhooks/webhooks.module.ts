import { Global, Module } from '@nestjs/common';
import { UpstreamWebhookService } from './upstream-webhook.service';

@Global()
@Module({ providers: [UpstreamWebhookService], exports: [UpstreamWebhookService] })
export class WebhooksModule {}
