import { Module } from '@nestjs/common';
import { OutboundModule } from '@/common/net/outbound.module';
import { EvolutionModule } from '@/integrations/evolution/evolution.module';
import { InstancesModule } from '@/modules/instances/instances.module';
import { LimitsModule } from '@/modules/limits/limits.module';
import { OptOutsModule } from '@/modules/opt-outs/opt-outs.module';
import { AcceptanceTracker } from './acceptance-tracker.service';
import { ClosedSendWatch } from './closed-send-watch.service';
import { MessageRepository } from './message.repository';
import { MessageExportService } from './message-export.service';
import { MessageLogService } from './message-log.service';
import { ScheduledSendRepository } from './scheduled-send.repository';
import { SendService } from './send.service';
import { StatsRepository } from './stats.repository';
import { StatsService } from './stats.service';
import { StatusBatcherService } from './status-batcher.service';

@Module({
  imports: [EvolutionModule, InstancesModule, LimitsModule, OptOutsModule, OutboundModule],
  providers: [
    MessageRepository,
    ScheduledSendRepository,
    AcceptanceTracker,
    ClosedSendWatch,
    SendService,
    StatusBatcherService,
    MessageLogService,
    MessageExportService,
    StatsRepository,
    StatsService,
  ],
  exports: [
    MessageRepository,
    ScheduledSendRepository,
    AcceptanceTracker,
    SendService,
    StatusBatcherService,
    MessageLogService,
    MessageExportService,
    StatsService,
  ],
})
export class MessagesModule {}
