import { Module } from '@nestjs/common';
import { AdminService } from './admin.service';
import { AdminAuditController } from './admin-audit.controller';
import { AdminClientsController } from './admin-clients.controller';
import { ClientRepository } from './client.repository';

@Module({ controllers: [AdminClientsController, AdminAuditController], providers: [AdminService, ClientRepository] })
export class AdminModule {}
