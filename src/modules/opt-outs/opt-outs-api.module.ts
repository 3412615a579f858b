import { Module } from '@nestjs/common';
import { AuthModule } from '@/modules/auth/auth.module';
import { OptOutsController } from './opt-outs.controller';
import { OptOutsModule } from './opt-outs.module';

/** GET, POST /api/v1/whatsapp/opt-outs and DELETE /api/v1/whatsapp/opt-outs/{number}. */
@Module({ imports: [AuthModule, OptOutsModule], controllers: [OptOutsController] })
export class OptOutsApiModule {}
