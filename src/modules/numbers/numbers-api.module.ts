import { Module } from '@nestjs/common';
import { AuthModule } from '@/modules/auth/auth.module';
import { NumberCheckController } from './number-check.controller';
import { NumbersModule } from './numbers.module';

/** POST /api/v1/whatsapp/check-numbers. */
@Module({ imports: [AuthModule, NumbersModule], controllers: [NumberCheckController] })
export class NumbersApiModule {}
