import { Module } from '@nestjs/common';
import { AuthModule } from '@/modules/auth/auth.module';
import { IdempotencyModule } from '@/modules/idempotency/idempotency.module';
import { BulkController } from './bulk.controller';
import { BulkModule } from './bulk.module';

@Module({ imports: [AuthModule, BulkModule, IdempotencyModule], controllers: [BulkController] })
export class BulkApiModule {}
