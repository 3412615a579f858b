import { Module } from '@nestjs/common';
import { AuthModule } from '@/modules/auth/auth.module';
import { UpstreamWebhookRoute } from './upstream-webhook.route';
import { WebhooksController } from './webhooks.controller';
import { WebhooksModule } from './webhooks.module';

@Module({ imports: [AuthModule, WebhooksModule], controllers: [WebhooksController], providers: [UpstreamWebhookRoute] })
export class WebhooksApiModule {}
