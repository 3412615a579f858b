import { Module } from '@nestjs/common';
import { EvolutionModule } from '@/integrations/evolution/evolution.module';
import { AuthModule } from '@/modules/auth/auth.module';
import { InstancesModule } from '@/modules/instances/instances.module';
import { NumberCheckController } from './number-check.controller';
import { NumberCheckService } from './number-check.service';

/** Number checks (POST /api/v1/whatsapp/check-numbers). */
@Module({
  imports: [AuthModule, EvolutionModule, InstancesModule],
  controllers: [NumberCheckController],
  providers: [NumberCheckService],
})
export class NumbersModule {}
