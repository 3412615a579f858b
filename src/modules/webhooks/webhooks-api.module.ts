import { Module } from '@nestjs/common';
import { UpstreamWebhookController } from './upstream-webhook.controller';

@Module({ controllers: [UpstreamWebhookController] })
export class WebhooksApiModule {}
