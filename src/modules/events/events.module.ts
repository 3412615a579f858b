import { Module } from '@nestjs/common';
import { LiveEventPublisher } from './live-event-publisher.service';

/**
 * Publishing live events, for the features that produce them (webhooks, bulk) in every role. The `/ws` side that
 * consumes them is EventsApiModule, in API processes only.
 */
@Module({ providers: [LiveEventPublisher], exports: [LiveEventPublisher] })
export class EventsModule {}
