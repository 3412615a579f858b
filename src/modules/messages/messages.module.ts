import { Global, Module } from '@nestjs/common';
import { MessageLogService } from './message-log.service';
import { MessageRepository } from './message.repository';
import { SendService } from './send.service';
import { StatusBatcherService } from './status-batcher.service';
import { StatsRepository } from './stats.repository';
import { StatsService } from './stats.service';

@Global()
@Module({
  providers: [MessageRepository, SendService, StatusBatcherService, MessageLogService, StatsRepository, StatsService],
  exports: [MessageRepository, SendService, StatusBatcherService, MessageLogService, StatsService],
})
export class MessagesModule {}
