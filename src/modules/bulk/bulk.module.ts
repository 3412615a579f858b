import { Module } from '@nestjs/common';
import { EvolutionModule } from '@/integrations/evolution/evolution.module';
import { EventsModule } from '@/modules/events/events.module';
import { InstancesModule } from '@/modules/instances/instances.module';
import { MessagesModule } from '@/modules/messages/messages.module';
import { NumbersModule } from '@/modules/numbers/numbers.module';
import { OptOutsModule } from '@/modules/opt-outs/opt-outs.module';
import { BulkRepository } from './bulk.repository';
import { BulkService } from './bulk.service';
import { BulkProgressService } from './bulk-progress.service';
import { BulkQueueService } from './bulk-queue.service';
import { BulkRunnerService } from './bulk-runner.service';
import { BulkScheduleRepository } from './bulk-schedule.repository';

@Module({
  imports: [EventsModule, EvolutionModule, InstancesModule, MessagesModule, NumbersModule, OptOutsModule],
  providers: [
    BulkRepository,
    BulkScheduleRepository,
    BulkProgressService,
    BulkQueueService,
    BulkService,
    BulkRunnerService,
  ],
  exports: [BulkService, BulkRunnerService, BulkScheduleRepository, BulkQueueService, BulkProgressService],
})
export class BulkModule {}
