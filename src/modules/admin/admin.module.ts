import { Module } from '@nestjs/common';
import { OutboundModule } from '@/common/net/outbound.module';
import { AuditModule } from '@/modules/audit/audit.module';
import { AuthModule } from '@/modules/auth/auth.module';
import { InstancesModule } from '@/modules/instances/instances.module';
import { AdminService } from './admin.service';
import { AdminAuditController } from './admin-audit.controller';
import { AdminClientsController } from './admin-clients.controller';
import { ClientRepository } from './client.repository';

@Module({
  imports: [AuditModule, AuthModule, InstancesModule, OutboundModule],
  controllers: [AdminClientsController, AdminAuditController],
  providers: [AdminService, ClientRepository],
})
export class AdminModule {}
