import { Module } from '@nestjs/common';
import { MessageLogController } from './message-log.controller';
import { SendController } from './send.controller';

@Module({ controllers: [SendController, MessageLogController] })
export class MessagesApiModule {}
