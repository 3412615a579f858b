import { Module } from '@nestjs/common';
import { BulkModule } from '@/modules/bulk/bulk.module';
import { LimitsModule } from '@/modules/limits/limits.module';
import { MessagesModule } from '@/modules/messages/messages.module';
import { DueSendPollerService } from './due-send-poller.service';
import { ExpirySweepRepository } from './expiry-sweep.repository';
import { ExpirySweepService } from './expiry-sweep.service';

/**
 * The worker's side of scheduled and expiring sends: messages and bulks leave Postgres when they are due, and what
 * passes its expiry while waiting is marked expired.
 */
@Module({
  imports: [BulkModule, LimitsModule, MessagesModule],
  providers: [DueSendPollerService, ExpirySweepRepository, ExpirySweepService],
})
export class SchedulingModule {}
