import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsBoolean, IsIn, IsOptional, IsUrl, MaxLength } from 'class-validator';
import { UPSTREAM_WEBHOOK_EVENTS } from '@/integrations/evolution/upstream-webhook';

/** The gateway's own events a tenant webhook can subscribe to, beside the upstream's (`optout.update`, `instance.restricted`). */
export const GATEWAY_WEBHOOK_EVENTS: readonly string[] = ['OPTOUT_UPDATE', 'INSTANCE_RESTRICTED'];

/** An optional list of event names (at most 50) out of `names`; empty or absent means all. */
export function WebhookEvents(names: readonly string[], description: string): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({ description, example: ['MESSAGES_UPSERT', 'MESSAGES_UPDATE'] }),
    IsOptional(),
    IsArray(),
    IsIn(names, { each: true, message: `each value must be one of ${names.join(', ')}` }),
    ArrayMaxSize(50),
  );
}

export class SetWebhookDto {
  @ApiProperty({ example: 'https://yourapp.com/webhook/whatsapp' })
  @MaxLength(2000)
  @IsUrl(
    { protocols: ['http', 'https'], require_protocol: true, require_tld: false },
    { message: 'must be an http(s) URL' },
  )
  url!: string;

  @WebhookEvents(
    [...UPSTREAM_WEBHOOK_EVENTS, ...GATEWAY_WEBHOOK_EVENTS],
    'Events to receive (the reference’s names, and the gateway’s OPTOUT_UPDATE and INSTANCE_RESTRICTED); empty or absent means all',
  )
  events?: string[];

  @ApiPropertyOptional({ default: true })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;
}

export class WebhookConfigDto {
  @ApiProperty({ example: 'shop-1' }) instance!: string;
  @ApiProperty({ nullable: true, type: String, description: 'This instance’s own URL' }) url!: string | null;
  @ApiProperty({ type: [String], description: 'Subscribed events; empty means all' }) events!: string[];
  @ApiProperty() enabled!: boolean;
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'Where events go: the instance’s URL, else the client’s default',
  })
  effective_url!: string | null;
}
