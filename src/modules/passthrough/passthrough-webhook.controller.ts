import { Body, Get, Post } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { legacyDtoBody } from './dto/passthrough-docs.dto';
import { LegacySetWebhookDto } from './dto/set-webhook.dto';
import { Caller, InstanceName, PassthroughCaller, PassthroughController } from './passthrough-auth.guard';
import { PassthroughWebhookService } from './passthrough-webhook.service';
import { UpstreamAnswer } from './upstream-answer';

/** The tenant's webhook, kept by the gateway: the upstream's own webhook always points at the gateway's receiver. */
@PassthroughController('webhook')
export class PassthroughWebhookController {
  constructor(private readonly webhooks: PassthroughWebhookService) {}

  @Post('set/:instanceName')
  @ApiOperation({
    summary:
      'Set where this instance’s events are delivered (signed by the gateway with the instance’s webhook_secret)',
  })
  @ApiBody(
    legacyDtoBody(LegacySetWebhookDto, {
      webhook: {
        enabled: true,
        url: 'https://yourapp.com/webhook/whatsapp',
        byEvents: false,
        base64: false,
        events: ['MESSAGES_UPSERT', 'MESSAGES_UPDATE', 'CONNECTION_UPDATE'],
      },
    }),
  )
  @ApiCreatedResponse({ description: 'The webhook row, in the upstream’s shape' })
  set(
    @Caller() c: PassthroughCaller,
    @InstanceName() name: string,
    @Body() body: LegacySetWebhookDto,
  ): Promise<UpstreamAnswer> {
    return this.webhooks.setWebhook(c, name, body);
  }

  @Get('find/:instanceName')
  @ApiOperation({ summary: 'The instance’s webhook configuration, or null' })
  @ApiOkResponse({ description: 'The webhook row, in the upstream’s shape, or null' })
  find(@Caller() c: PassthroughCaller, @InstanceName() name: string): Promise<UpstreamAnswer> {
    return this.webhooks.findWebhook(c, name);
  }
}
