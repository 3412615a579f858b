import { Module } from '@nestjs/common';
import { AuthModule } from '@/modules/auth/auth.module';
import { AdminInstancesController } from './admin-instances.controller';
import { ConnectionController } from './connection.controller';
import { InstancesModule } from './instances.module';
import { ResellerController } from './reseller.controller';

@Module({
  imports: [AuthModule, InstancesModule],
  controllers: [ResellerController, ConnectionController, AdminInstancesController],
})
export class InstancesApiModule {}
