import { ApiProperty, ApiPropertyOptional, PickType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsDefined, IsObject, IsOptional, ValidateNested } from 'class-validator';
import { AcceptsUnknownFields } from '@/common/validation/app-validation.pipe';
import { UPSTREAM_EVENT_NAMES } from '@/integrations/evolution/upstream-webhook';
import { GATEWAY_WEBHOOK_EVENTS, SetWebhookDto, WebhookEvents } from '@/modules/webhooks/dto/webhook-config.dto';

/**
 * `{enabled, url, events?, byEvents?, base64?, headers?}` (contract §2.5): v1's url and enabled, and any of the
 * upstream's event names. Unlike the upstream, `events` may be omitted (all events) instead of crashing; `byEvents`,
 * `base64` and `headers` are accepted and have no effect: the gateway delivers every event, signed, to one URL.
 */
@AcceptsUnknownFields()
export class LegacyWebhookDto extends PickType(SetWebhookDto, ['url', 'enabled'] as const) {
  @WebhookEvents(
    [...UPSTREAM_EVENT_NAMES, ...GATEWAY_WEBHOOK_EVENTS],
    'The upstream’s event names, and the gateway’s OPTOUT_UPDATE and INSTANCE_RESTRICTED; empty or absent means all',
  )
  events?: string[];

  @ApiPropertyOptional({ description: 'Accepted, no effect: every event goes to one URL' })
  @IsOptional()
  @IsBoolean()
  byEvents?: boolean;

  @ApiPropertyOptional({ description: 'Accepted, no effect' })
  @IsOptional()
  @IsBoolean()
  base64?: boolean;
}

@AcceptsUnknownFields()
export class LegacySetWebhookDto {
  @ApiProperty({ type: LegacyWebhookDto })
  @IsDefined({ message: 'is required: wrap the settings in a "webhook" object' })
  @IsObject()
  @ValidateNested()
  @Type(() => LegacyWebhookDto)
  webhook!: LegacyWebhookDto;
}
