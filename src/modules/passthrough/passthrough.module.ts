import { Module } from '@nestjs/common';
import { OutboundModule } from '@/common/net/outbound.module';
import { EvolutionModule } from '@/integrations/evolution/evolution.module';
import { AuthModule } from '@/modules/auth/auth.module';
import { InstancesModule } from '@/modules/instances/instances.module';
import { MessagesModule } from '@/modules/messages/messages.module';
import { WebhooksModule } from '@/modules/webhooks/webhooks.module';
import { PassthroughService } from './passthrough.service';
import { PassthroughAuthGuard } from './passthrough-auth.guard';
import { PassthroughChatController } from './passthrough-chat.controller';
import { PassthroughGroupController } from './passthrough-group.controller';
import { PassthroughInstanceController } from './passthrough-instance.controller';
import { PassthroughInstancesService } from './passthrough-instances.service';
import { PassthroughMessageController } from './passthrough-message.controller';
import { PassthroughSettingsController } from './passthrough-settings.controller';
import { PassthroughWebhookController } from './passthrough-webhook.controller';
import { PassthroughWebhookService } from './passthrough-webhook.service';

/** The reference's legacy Evolution API routes (`/instance/*`, `/message/*`, `/chat/*`, `/group/*`, `/webhook/*`, `/settings/*`). */
@Module({
  imports: [AuthModule, EvolutionModule, InstancesModule, MessagesModule, OutboundModule, WebhooksModule],
  controllers: [
    PassthroughInstanceController,
    PassthroughMessageController,
    PassthroughChatController,
    PassthroughGroupController,
    PassthroughWebhookController,
    PassthroughSettingsController,
  ],
  providers: [PassthroughService, PassthroughInstancesService, PassthroughWebhookService, PassthroughAuthGuard],
})
export class PassthroughModule {}
