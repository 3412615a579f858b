import { Module } from '@nestjs/common';
import { EvolutionModule } from '@/integrations/evolution/evolution.module';
import { AuditModule } from '@/modules/audit/audit.module';
import { AuthModule } from '@/modules/auth/auth.module';
import { AdminUpstreamsController } from './admin-upstreams.controller';
import { UpstreamsModule } from './upstreams.module';
import { UpstreamsService } from './upstreams.service';

/** The operator's routes over the pool of upstream servers. */
@Module({
  imports: [AuditModule, AuthModule, EvolutionModule, UpstreamsModule],
  controllers: [AdminUpstreamsController],
  providers: [UpstreamsService],
})
export class UpstreamsApiModule {}
