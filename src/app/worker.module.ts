import { Module } from '@nestjs/common';
import { MaintenanceModule } from '@/modules/maintenance/maintenance.module';
import { MaintenanceProcessor } from '@/modules/maintenance/maintenance.processor';

/** Feature modules plus every BullMQ processor: importing this is what makes a process a worker. */
@Module({ imports: [MaintenanceModule], providers: [MaintenanceProcessor] })
export class WorkerModule {}
