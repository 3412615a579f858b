import { Module } from '@nestjs/common';
import { AdminModule } from '@/modules/admin/admin.module';
import { AuthModule } from '@/modules/auth/auth.module';
import { BulkApiModule } from '@/modules/bulk/bulk-api.module';
import { EventsApiModule } from '@/modules/events/events-api.module';
import { InstancesApiModule } from '@/modules/instances/instances-api.module';
import { MessagesApiModule } from '@/modules/messages/messages-api.module';
import { NumbersApiModule } from '@/modules/numbers/numbers-api.module';
import { OptOutsApiModule } from '@/modules/opt-outs/opt-outs-api.module';
import { PassthroughModule } from '@/modules/passthrough/passthrough.module';
import { UpstreamsApiModule } from '@/modules/upstreams/upstreams-api.module';
import { WebhooksApiModule } from '@/modules/webhooks/webhooks-api.module';

/** Feature modules with HTTP controllers. Processors are never listed here, so an `api` process never consumes jobs. */
@Module({
  imports: [
    AuthModule,
    AdminModule,
    InstancesApiModule,
    MessagesApiModule,
    BulkApiModule,
    WebhooksApiModule,
    PassthroughModule,
    NumbersApiModule,
    OptOutsApiModule,
    EventsApiModule,
    UpstreamsApiModule,
  ],
})
export class ApiModule {}
