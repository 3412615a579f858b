import { Global, Module } from '@nestjs/common';
import { AcceptanceTracker } from './acceptance-tracker.service';
import { MessageLogService } from './message-log.service';
import { MessageRepository } from './message.repository';
import { SendService } from './send.service';
import { StatusBatcherService } from './status-batcher.service';
import { StatsRepository } from './stats.repository';
import { StatsService } from './stats.service';

@Global()
@Module({
  providers: [MessageRepository, AcceptanceTracker, SendService, StatusBatcherService, MessageLogService, StatsRepository, StatsService],
  exports: [MessageRepository, AcceptanceTracker, SendService, StatusBatcherService, MessageLogService, StatsService],
})
export class MessagesModule {}
