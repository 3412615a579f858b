import { Global, Module } from '@nestjs/common';
import { INSTANCE_TOKEN_STORE } from '@/integrations/evolution/instance-token.store';
import { ConnectionAttempts } from './connection-attempts.service';
import { InstanceRepository } from './instance.repository';
import { InstanceConnectionService } from './instance-connection.service';
import { InstanceCredentialsService } from './instance-credentials.service';
import { InstanceTokenService } from './instance-token.service';
import { InstanceUpkeepService } from './instance-upkeep.service';
import { InstancesService } from './instances.service';

/** Instance services for every role; controllers live in InstancesApiModule, the processor in WorkerModule. */
@Global()
@Module({
  providers: [
    ConnectionAttempts,
    InstanceConnectionService,
    InstanceCredentialsService,
    InstanceRepository,
    InstanceTokenService,
    InstancesService,
    InstanceUpkeepService,
    { provide: INSTANCE_TOKEN_STORE, useExisting: InstanceTokenService },
  ],
  exports: [
    InstancesService,
    InstanceConnectionService,
    InstanceCredentialsService,
    InstanceUpkeepService,
    INSTANCE_TOKEN_STORE,
  ],
})
export class InstancesModule {}
