import { Module } from '@nestjs/common';
import { DailyCapService } from './daily-cap.service';
import { InstancePacerService } from './instance-pacer.service';
import { RequestRateLimitService } from './request-rate-limit.service';

@Module({
  providers: [RequestRateLimitService, InstancePacerService, DailyCapService],
  exports: [RequestRateLimitService, InstancePacerService, DailyCapService],
})
export class LimitsModule {}
