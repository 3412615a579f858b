import { Module } from '@nestjs/common';
import { AppConfig } from '@/config/app-config';
import { MediaFetcher } from './media-fetcher';
import { OutboundGuard } from './outbound-guard';

@Module({
  providers: [
    {
      provide: OutboundGuard,
      inject: [AppConfig],
      useFactory: (config: AppConfig) => new OutboundGuard(config.get('WEBHOOK_ALLOWED_HOSTS')),
    },
    MediaFetcher,
  ],
  exports: [OutboundGuard, MediaFetcher],
})
export class OutboundModule {}
