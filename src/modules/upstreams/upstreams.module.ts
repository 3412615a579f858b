import { Module } from '@nestjs/common';
import { EvolutionModule } from '@/integrations/evolution/evolution.module';
import { UpstreamRepository } from './upstream.repository';
import { UpstreamPool } from './upstream-pool.service';

/** The pool of upstream servers for every role: where calls go, and each server's health. */
@Module({
  imports: [EvolutionModule],
  providers: [UpstreamRepository, UpstreamPool],
  exports: [UpstreamPool, UpstreamRepository],
})
export class UpstreamsModule {}
