import { Module } from '@nestjs/common';
import { AppConfig } from '@/config/app-config';
import { AuthModule } from '@/modules/auth/auth.module';
import { InstancesModule } from '@/modules/instances/instances.module';
import { EventsGateway } from './events.gateway';
import { EventsSubscriber } from './events-subscriber.service';
import { LiveSockets } from './live-sockets';
import { SocketAuthService } from './socket-auth.service';

/** `GET /ws` in API processes: sockets authenticated like the HTTP API, fed from the live events channel. */
@Module({
  imports: [AuthModule, InstancesModule],
  providers: [
    EventsGateway,
    EventsSubscriber,
    SocketAuthService,
    {
      provide: LiveSockets,
      useFactory: (config: AppConfig) => new LiveSockets(config.get('WS_MAX_BUFFERED_BYTES')),
      inject: [AppConfig],
    },
  ],
  exports: [EventsGateway],
})
export class EventsApiModule {}
