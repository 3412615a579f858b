import { Module, OnModuleInit } from '@nestjs/common';
import { EvolutionModule } from '@/integrations/evolution/evolution.module';
import { EventsModule } from '@/modules/events/events.module';
import { InstancesModule } from '@/modules/instances/instances.module';
import { MessagesModule } from '@/modules/messages/messages.module';
import { NumbersModule } from '@/modules/numbers/numbers.module';
import { OptOutsModule } from '@/modules/opt-outs/opt-outs.module';
import { UpstreamPool } from '@/modules/upstreams/upstream-pool.service';
import { BulkRepository } from './bulk.repository';
import { BulkService } from './bulk.service';
import { BulkProgressService } from './bulk-progress.service';
import { BulkQueueService } from './bulk-queue.service';
import { BulkRecipientRepository } from './bulk-recipient.repository';
import { BulkRunnerService } from './bulk-runner.service';
import { BulkScheduleRepository } from './bulk-schedule.repository';

@Module({
  imports: [EventsModule, EvolutionModule, InstancesModule, MessagesModule, NumbersModule, OptOutsModule],
  providers: [
    BulkRepository,
    BulkRecipientRepository,
    BulkScheduleRepository,
    BulkProgressService,
    BulkQueueService,
    BulkService,
    BulkRunnerService,
  ],
  exports: [BulkService, BulkRunnerService, BulkScheduleRepository, BulkQueueService, BulkProgressService],
})
export class BulkModule implements OnModuleInit {
  constructor(
    private readonly pool: UpstreamPool,
    private readonly bulks: BulkService,
  ) {}

  /** Bulks an upstream's outage paused carry on when it answers again (the pool lives in every role; bulks here). */
  onModuleInit(): void {
    this.pool.whenRecovered((upstreamId) => this.bulks.resumeAfterUpstreamRecovery(upstreamId));
  }
}
