import { Module } from '@nestjs/common';
import { OptOutRepository } from './opt-out.repository';
import { OptOutLookup } from './opt-out-lookup.service';
import { OptOutsService } from './opt-outs.service';

/** The clients' suppression lists, for every role: the send path's check, inbound keywords and the API. */
@Module({
  providers: [OptOutRepository, OptOutLookup, OptOutsService],
  exports: [OptOutsService],
})
export class OptOutsModule {}
