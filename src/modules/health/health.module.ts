import { Module } from '@nestjs/common';
import { EvolutionModule } from '@/integrations/evolution/evolution.module';
import { HealthController } from './health.controller';
import { HealthRepository } from './health.repository';
import { HealthService } from './health.service';

@Module({ imports: [EvolutionModule], controllers: [HealthController], providers: [HealthRepository, HealthService] })
export class HealthModule {}
