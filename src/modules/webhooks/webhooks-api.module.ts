import { Module } from '@nestjs/common';
import { UpstreamWebhookRoute } from './upstream-webhook.route';
import { WebhooksController } from './webhooks.controller';

@Module({ controllers: [WebhooksController], providers: [UpstreamWebhookRoute] })
export class WebhooksApiModule {}
