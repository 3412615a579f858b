import { Module } from '@nestjs/common';
import { PassthroughAuthGuard } from './passthrough-auth.guard';
import { PassthroughChatController } from './passthrough-chat.controller';
import { PassthroughGroupController } from './passthrough-group.controller';
import { PassthroughInstanceController } from './passthrough-instance.controller';
import { PassthroughMessageController } from './passthrough-message.controller';
import { PassthroughSettingsController } from './passthrough-settings.controller';
import { PassthroughWebhookController } from './passthrough-webhook.controller';
import { PassthroughService } from './passthrough.service';

/** The reference's legacy Evolution API routes (`/instance/*`, `/message/*`, `/chat/*`, `/group/*`, `/webhook/*`, `/settings/*`). */
@Module({
  controllers: [
    PassthroughInstanceController,
    PassthroughMessageController,
    PassthroughChatController,
    PassthroughGroupController,
    PassthroughWebhookController,
    PassthroughSettingsController,
  ],
  providers: [PassthroughService, PassthroughAuthGuard],
})
export class PassthroughModule {}
