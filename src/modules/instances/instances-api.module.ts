import { Module } from '@nestjs/common';
import { AdminInstancesController } from './admin-instances.controller';
import { ConnectionController } from './connection.controller';
import { ResellerController } from './reseller.controller';

@Module({
  controllers: [ResellerController, ConnectionController, AdminInstancesController],
})
export class InstancesApiModule {}
