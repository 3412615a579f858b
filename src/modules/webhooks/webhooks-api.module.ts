import { Module } from '@nestjs/common';
import { UpstreamWebhookController } from './upstream-webhook.controller';
import { WebhooksController } from './webhooks.controller';

@Module({ controllers: [UpstreamWebhookController, WebhooksController] })
export class WebhooksApiModule {}
