import { Global, Module } from '@nestjs/common';
import { AppConfig } from '@/config/app-config';
import { OutboundGuard } from './outbound-guard';

@Global()
@Module({
  providers: [{ provide: OutboundGuard, inject: [AppConfig], useFactory: (config: AppConfig) => new OutboundGuard(config.get('WEBHOOK_ALLOWED_HOSTS')) }],
  exports: [OutboundGuard],
})
export class OutboundModule {}
