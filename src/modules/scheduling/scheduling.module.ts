import { Module } from '@nestjs/common';
import { BulkModule } from '@/modules/bulk/bulk.module';
import { MessagesModule } from '@/modules/messages/messages.module';
import { DueSendPollerService } from './due-send-poller.service';

/** The worker's side of scheduled sends: messages and bulks leave Postgres when they are due. */
@Module({
  imports: [BulkModule, MessagesModule],
  providers: [DueSendPollerService],
})
export class SchedulingModule {}
