import { Module } from '@nestjs/common';
import { UpstreamsModule } from '@/modules/upstreams/upstreams.module';
import { HealthController } from './health.controller';
import { HealthRepository } from './health.repository';
import { HealthService } from './health.service';

@Module({ imports: [UpstreamsModule], controllers: [HealthController], providers: [HealthRepository, HealthService] })
export class HealthModule {}
