import { Global, Module } from '@nestjs/common';
import { BulkRepository } from './bulk.repository';
import { BulkService } from './bulk.service';
import { BulkQueueService } from './bulk-queue.service';
import { BulkRunnerService } from './bulk-runner.service';

@Global()
@Module({
  providers: [BulkRepository, BulkQueueService, BulkService, BulkRunnerService],
  exports: [BulkService, BulkRunnerService],
})
export class BulkModule {}
