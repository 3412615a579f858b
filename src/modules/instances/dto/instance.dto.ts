import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsUrl, Matches, Max, MaxLength, Min } from 'class-validator';
import { INSTANCE_NAME, INSTANCE_NAME_RULE } from '@/common/validation/instance-name';
import { MAX_INT_ID } from '@/common/validation/parse-positive-id.pipe';
import { OptionalInt } from '@/common/validation/query-fields';
import { Instance } from '@/generated/prisma/client';
import { describeRestriction, RESTRICTION_REASONS, restrictionOf } from '@/modules/instances/instance-restriction';

export { INSTANCE_NAME, INSTANCE_NAME_RULE };

export const INTEGRATIONS = ['WHATSAPP-BAILEYS', 'EVOLUTION'] as const;

export class CreateSubInstanceDto {
  @ApiProperty({ example: 'shop-branch-kilimani', description: INSTANCE_NAME_RULE })
  @Matches(INSTANCE_NAME, { message: INSTANCE_NAME_RULE })
  instanceName!: string;

  @ApiPropertyOptional({ enum: INTEGRATIONS, default: 'WHATSAPP-BAILEYS' })
  @IsOptional()
  @IsIn(INTEGRATIONS, { message: `must be one of ${INTEGRATIONS.join(', ')}` })
  integration?: (typeof INTEGRATIONS)[number];

  @ApiPropertyOptional({ description: 'Where this instance’s events are delivered, signed with webhook_secret' })
  @IsOptional()
  @MaxLength(2000)
  @IsUrl(
    { protocols: ['http', 'https'], require_protocol: true, require_tld: false },
    { message: 'must be an http(s) URL' },
  )
  webhook_url?: string;

  @ApiPropertyOptional({
    default: false,
    description:
      'Start connecting at once, as the upstream create does with qrcode: true (its answer then waits about 5 s for a first QR). ' +
      'By default the instance connects on the first QR code request.',
  })
  @IsOptional()
  @IsBoolean()
  qrcode?: boolean;
}

export class AdminCreateInstanceDto extends CreateSubInstanceDto {
  @ApiProperty({ description: 'The client that will own the instance' })
  @Min(1)
  @Max(MAX_INT_ID)
  @IsInt()
  client_id!: number;
}

export class InstanceListQueryDto {
  @OptionalInt({ min: 1, max: 500, default: 100 })
  limit: number = 100;

  @OptionalInt({ min: 0, default: 0 })
  offset: number = 0;

  @ApiPropertyOptional({ description: 'Admin only: instances of this client' })
  @IsOptional()
  @Type(() => Number)
  @Min(1)
  @Max(MAX_INT_ID)
  @IsInt()
  client_id?: number;
}

export class CreatedSubInstanceDto {
  @ApiProperty() instance_id!: string;
  @ApiProperty({ example: 'shop-branch-kilimani' }) instance_name!: string;
  @ApiProperty({ description: 'Instance API key (64 hex characters): works for this instance only. Shown once.' })
  api_key!: string;
  @ApiProperty({ description: 'Secret that signs this instance’s webhooks (Standard Webhooks). Shown once.' })
  webhook_secret!: string;
  @ApiProperty({ example: 'WHATSAPP-BAILEYS' }) integration!: string;
  @ApiProperty({ example: 'pending' }) status!: string;
}

export class RotatedInstanceKeyDto {
  @ApiProperty() instance_id!: string;
  @ApiProperty({ description: 'The new instance API key. Shown once.' }) api_key!: string;
  @ApiProperty({ description: 'When the previous key stops working (now without a grace period)' })
  previous_key_expires_at!: string;
}

export class RotatedWebhookSecretDto {
  @ApiProperty() instance_id!: string;
  @ApiProperty({ description: 'The new secret that signs this instance’s webhooks. Shown once.' })
  webhook_secret!: string;
  @ApiProperty({ description: 'Until then every delivery also carries a signature made with the previous secret' })
  previous_secret_expires_at!: string;
}

export class RestrictionDto {
  @ApiProperty({
    enum: RESTRICTION_REASONS,
    description:
      'logged_out (status 401 or 406), temporarily_banned (402), banned (403: how WhatsApp reports a ban), ' +
      'connection_refused (428: the QR code limit ran out)',
  })
  reason!: string;
  @ApiProperty({ description: 'The upstream’s statusReason: WhatsApp’s own code', example: 403 })
  status_reason!: number;
  @ApiProperty({ description: 'What WhatsApp did and what to do about it' }) message!: string;
  @ApiProperty({ description: 'When the gateway heard of it' }) restricted_at!: string;
}

const RESTRICTION_FIELD = {
  nullable: true,
  type: RestrictionDto,
  description:
    'Set while WhatsApp has the number logged out, banned or refused: sends answer 409 INSTANCE_RESTRICTED and bulks ' +
    'pause until the instance is open again; null otherwise',
};

export class InstanceResponseDto {
  @ApiProperty() instance_id!: string;
  @ApiProperty() instance_name!: string;
  @ApiProperty() integration!: string;
  @ApiProperty({ enum: ['pending', 'connecting', 'open', 'close', 'refused'] }) status!: string;
  @ApiProperty({ nullable: true, type: String, description: 'The connected WhatsApp account' }) owner_jid!:
    string | null;
  @ApiProperty({ nullable: true, type: String }) webhook_url!: string | null;
  @ApiProperty(RESTRICTION_FIELD) restriction!: RestrictionDto | null;
  @ApiProperty() created_at!: string;
  @ApiProperty() updated_at!: string;
}

export class StateResponseDto {
  @ApiProperty({ example: 'shop-branch-kilimani' }) instance!: string;
  @ApiProperty({ enum: ['open', 'connecting', 'close', 'refused'] }) state!: string;
}

export class StatusResponseDto extends StateResponseDto {
  @ApiProperty(RESTRICTION_FIELD) restriction!: RestrictionDto | null;
}

export class QrCodeResponseDto extends StateResponseDto {
  @ApiProperty({ nullable: true, type: String, description: 'PNG data URI of the QR code' }) base64!: string | null;
  @ApiProperty({ nullable: true, type: String }) code!: string | null;
  @ApiProperty({ nullable: true, type: String }) pairingCode!: string | null;
  @ApiProperty({ description: 'How many QR codes the upstream produced; 0 means none yet' }) count!: number;
}

export function toInstanceResponse(instance: Instance): InstanceResponseDto {
  return {
    instance_id: instance.id,
    instance_name: instance.name,
    integration: instance.integration,
    status: instance.status,
    owner_jid: instance.ownerJid,
    webhook_url: instance.webhookUrl,
    restriction: toRestrictionResponse(instance),
    created_at: instance.createdAt.toISOString(),
    updated_at: instance.updatedAt.toISOString(),
  };
}

export function toRestrictionResponse(instance: Instance): RestrictionDto | null {
  const restriction = restrictionOf(instance);
  if (!restriction) return null;
  return {
    reason: restriction.reason,
    status_reason: restriction.statusReason,
    message: describeRestriction(restriction),
    restricted_at: restriction.since.toISOString(),
  };
}
