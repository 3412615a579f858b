import { Module, OnModuleInit } from '@nestjs/common';
import { OutboundModule } from '@/common/net/outbound.module';
import { EvolutionClient } from '@/integrations/evolution/evolution.client';
import { EvolutionModule } from '@/integrations/evolution/evolution.module';
import { AuditModule } from '@/modules/audit/audit.module';
import { UpstreamsModule } from '@/modules/upstreams/upstreams.module';
import { ConnectionAttempts } from './connection-attempts.service';
import { InstanceRepository } from './instance.repository';
import { InstanceConnectionService } from './instance-connection.service';
import { InstanceCredentialsService } from './instance-credentials.service';
import { InstanceRestrictionRepository } from './instance-restriction.repository';
import { InstanceSystemRepository } from './instance-system.repository';
import { InstanceTokenService } from './instance-token.service';
import { InstanceUpkeepService } from './instance-upkeep.service';
import { InstancesService } from './instances.service';

/** Instance services for every role; controllers live in InstancesApiModule, the processor in WorkerModule. */
@Module({
  imports: [AuditModule, EvolutionModule, OutboundModule, UpstreamsModule],
  providers: [
    ConnectionAttempts,
    InstanceConnectionService,
    InstanceCredentialsService,
    InstanceRepository,
    InstanceRestrictionRepository,
    InstanceSystemRepository,
    InstanceTokenService,
    InstancesService,
    InstanceUpkeepService,
  ],
  exports: [
    InstancesService,
    InstanceConnectionService,
    InstanceCredentialsService,
    InstanceTokenService,
    InstanceUpkeepService,
    UpstreamsModule,
  ],
})
export class InstancesModule implements OnModuleInit {
  constructor(
    private readonly evolution: EvolutionClient,
    private readonly tokens: InstanceTokenService,
  ) {}

  /**
   * The Evolution client asks this feature for instance tokens (they live encrypted in its table). The store is handed
   * to the client here rather than injected into it, so the client's module does not depend on this one, which
   * depends on the client.
   */
  onModuleInit(): void {
    this.evolution.useTokenStore(this.tokens);
  }
}
