import { Module } from '@nestjs/common';
import { EvolutionModule } from '@/integrations/evolution/evolution.module';
import { InstancesModule } from '@/modules/instances/instances.module';
import { NumberCheckService } from './number-check.service';

/** Number checks for every role: the API's check-numbers route and bulks sent with check_numbers. */
@Module({
  imports: [EvolutionModule, InstancesModule],
  providers: [NumberCheckService],
  exports: [NumberCheckService],
})
export class NumbersModule {}
