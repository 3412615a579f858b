import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional, PickType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsInt, IsObject, IsOptional, IsString, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { AcceptsUnknownFields } from '@/common/validation/app-validation.pipe';
import { MAX_INT_ID } from '@/common/validation/parse-positive-id.pipe';
import { CreateSubInstanceDto } from '@/modules/instances/dto/instance.dto';
import { LegacyWebhookDto } from './set-webhook.dto';

/** One of the instance settings (contract §2.1, §2.5), passed on to the upstream's settings/set. */
function OptionalSetting(type: 'boolean' | 'string', example?: boolean | string): PropertyDecorator {
  return applyDecorators(ApiPropertyOptional({ example }), IsOptional(), type === 'boolean' ? IsBoolean() : IsString());
}

/**
 * The create body of the reference (and the upstream's, contract §2.1): v1's instanceName, integration and qrcode,
 * the settings, and an inline webhook. `token` is ignored (the gateway chooses the upstream token and hands out its
 * own instance key), and so are the upstream's proxy and integration fields.
 */
@AcceptsUnknownFields()
export class LegacyCreateInstanceDto extends PickType(CreateSubInstanceDto, [
  'instanceName',
  'integration',
  'qrcode',
] as const) {
  @ApiPropertyOptional({ description: 'Phone number for a pairing code instead of a QR scan' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  number?: string;

  @ApiPropertyOptional({ description: 'Ignored: the gateway issues the instance key, returned as hash.apikey' })
  token?: string;

  @ApiPropertyOptional({ description: 'Master key only: the client that will own the instance' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_INT_ID)
  client_id?: number;

  @ApiPropertyOptional({ type: LegacyWebhookDto, description: 'The tenant webhook, stored by the gateway' })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => LegacyWebhookDto)
  webhook?: LegacyWebhookDto;

  @OptionalSetting('boolean', true) rejectCall?: boolean;
  @OptionalSetting('string', 'Sorry, I cannot take calls right now.') msgCall?: string;
  @OptionalSetting('boolean', false) groupsIgnore?: boolean;
  @OptionalSetting('boolean', true) alwaysOnline?: boolean;
  @OptionalSetting('boolean', false) readMessages?: boolean;
  @OptionalSetting('boolean', false) readStatus?: boolean;
  @OptionalSetting('boolean', false) syncFullHistory?: boolean;
  @OptionalSetting('string') wavoipToken?: string;
}
