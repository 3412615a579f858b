import { Module } from '@nestjs/common';
import { InstancesModule } from '@/modules/instances/instances.module';
import { MaintenanceModule } from '@/modules/maintenance/maintenance.module';

/** Feature services that both the API and the worker use. No controllers and no processors here. */
@Module({ imports: [InstancesModule, MaintenanceModule], exports: [InstancesModule, MaintenanceModule] })
export class DomainModule {}
