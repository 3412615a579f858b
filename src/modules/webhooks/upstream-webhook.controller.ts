import { Body, Controller, Headers, HttpCode, Param, Post } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { UPSTREAM_WEBHOOK_TOKEN_HEADER } from '@/integrations/evolution/upstream-webhook';
import { UpstreamWebhookService } from './upstream-webhook.service';

/** Where Evolution API posts each instance's events; registered by the gateway, never by tenants. */
@ApiExcludeController()
@Controller('webhooks/evolution')
export class UpstreamWebhookController {
  constructor(private readonly receiver: UpstreamWebhookService) {}

  @Post(':instanceName')
  @HttpCode(200)
  receive(
    @Param('instanceName') name: string,
    @Headers(UPSTREAM_WEBHOOK_TOKEN_HEADER) token: string | undefined,
    @Body() body: object,
  ) {
    return this.receiver.receive(name, token, body ?? {});
  }

  @Post(':instanceName/:event')
  @HttpCode(200)
  receiveByEvent(
    @Param('instanceName') name: string,
    @Param('event') event: string,
    @Headers(UPSTREAM_WEBHOOK_TOKEN_HEADER) token: string | undefined,
    @Body() body: object,
  ) {
    return this.receiver.receive(name, token, body ?? {}, event);
  }
}
