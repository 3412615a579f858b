import { Module } from '@nestjs/common';
import { AuthModule } from '@/modules/auth/auth.module';
import { InstancesModule } from '@/modules/instances/instances.module';
import { EventsGateway } from './events.gateway';
import { EventsSubscriber } from './events-subscriber.service';
import { LiveSockets } from './live-sockets';
import { SocketAuthService } from './socket-auth.service';

/** `GET /ws` in API processes: sockets authenticated like the HTTP API, fed from the live events channel. */
@Module({
  imports: [AuthModule, InstancesModule],
  providers: [EventsGateway, EventsSubscriber, LiveSockets, SocketAuthService],
  exports: [EventsGateway],
})
export class EventsApiModule {}
