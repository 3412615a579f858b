import { Global, Module } from '@nestjs/common';
import { AcceptanceTracker } from './acceptance-tracker.service';
import { MessageRepository } from './message.repository';
import { MessageLogService } from './message-log.service';
import { SendService } from './send.service';
import { StatsRepository } from './stats.repository';
import { StatsService } from './stats.service';
import { StatusBatcherService } from './status-batcher.service';

@Global()
@Module({
  providers: [
    MessageRepository,
    AcceptanceTracker,
    SendService,
    StatusBatcherService,
    MessageLogService,
    StatsRepository,
    StatsService,
  ],
  exports: [MessageRepository, AcceptanceTracker, SendService, StatusBatcherService, MessageLogService, StatsService],
})
export class MessagesModule {}
