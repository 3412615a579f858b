import { Module } from '@nestjs/common';
import { AuthModule } from '@/modules/auth/auth.module';
import { IdempotencyModule } from '@/modules/idempotency/idempotency.module';
import { MessageLogController } from './message-log.controller';
import { MessagesModule } from './messages.module';
import { ScheduledMessageController } from './scheduled-message.controller';
import { ScheduledMessageService } from './scheduled-message.service';
import { SendController } from './send.controller';

@Module({
  imports: [AuthModule, IdempotencyModule, MessagesModule],
  controllers: [SendController, MessageLogController, ScheduledMessageController],
  providers: [ScheduledMessageService],
})
export class MessagesApiModule {}
