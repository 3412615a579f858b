import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, IsUrl, Matches, Max, MaxLength, Min } from 'class-validator';
import { INSTANCE_NAME, INSTANCE_NAME_RULE } from '@/common/validation/instance-name';
import { MAX_INT_ID } from '@/common/validation/parse-positive-id.pipe';
import { OptionalInt } from '@/common/validation/query-fields';
import { Instance } from '@/generated/prisma/client';
import { describeRestriction, RESTRICTION_REASONS, restrictionOf } from '@/modules/instances/instance-restriction';

export { INSTANCE_NAME, INSTANCE_NAME_RULE };

export const INTEGRATIONS = ['WHATSAPP-BAILEYS', 'EVOLUTION'] as const;

/** An instance's stored status: `pending` until its first connection attempt, then the last state seen. */
export const INSTANCE_STATUSES = ['pending', 'connecting', 'open', 'close', 'refused'] as const;

/** The connection state the WhatsApp server reports. */
export const CONNECTION_STATES = ['open', 'connecting', 'close', 'refused'] as const;

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

  @ApiPropertyOptional({ description: 'Admin only: instances on this upstream (GET /api/admin/upstreams)' })
  @IsOptional()
  @Type(() => Number)
  @Min(1)
  @Max(MAX_INT_ID)
  @IsInt()
  upstream_id?: number;
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
    enumName: 'RestrictionReason',
    description:
      'logged_out (status 401 or 406), temporarily_banned (402), banned (403: how WhatsApp reports a ban), ' +
      'connection_refused (428: the QR code limit ran out)',
  })
  reason!: string;
  @ApiProperty({ type: 'integer', description: 'The upstream’s statusReason: WhatsApp’s own code', example: 403 })
  status_reason!: number;
  @ApiProperty({ description: 'What WhatsApp did and what to do about it' }) message!: string;
  @ApiProperty({ format: 'date-time', description: 'When the gateway heard of it' }) restricted_at!: string;
}

const RESTRICTION_FIELD = {
  nullable: true,
  type: RestrictionDto,
  description:
    'Set while WhatsApp has the number logged out, banned or refused: sends answer 409 INSTANCE_RESTRICTED and bulks ' +
    'pause until the instance is open again; null otherwise',
};

export class InstanceResponseDto {
  @ApiProperty({ format: 'uuid' }) instance_id!: string;
  @ApiProperty({ example: 'shop-branch-kilimani' }) instance_name!: string;
  @ApiProperty({ example: 'WHATSAPP-BAILEYS' }) integration!: string;
  @ApiProperty({ enum: INSTANCE_STATUSES, enumName: 'InstanceStatus' }) status!: string;
  @ApiProperty({ nullable: true, type: String, description: 'The connected WhatsApp account' }) owner_jid!:
    string | null;
  @ApiProperty({ nullable: true, type: String }) webhook_url!: string | null;
  @ApiProperty(RESTRICTION_FIELD) restriction!: RestrictionDto | null;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ format: 'date-time' }) updated_at!: string;
}

export class InstanceListResponseDto {
  @ApiProperty({ type: InstanceResponseDto, isArray: true, description: 'Oldest first' })
  instances!: InstanceResponseDto[];
  @ApiProperty({ type: 'integer', description: 'Instances in all, over every page' }) total!: number;
}

export class InstanceDetailsResponseDto extends InstanceResponseDto {
  @ApiProperty({
    enum: CONNECTION_STATES,
    enumName: 'ConnectionState',
    description: 'The live state, just read from the WhatsApp server (status stores it)',
  })
  state!: string;
}

/** An instance in the operator's list: with its client and what the periodic check found wrong with it. */
export class OperatorInstanceDto extends InstanceResponseDto {
  @ApiProperty({ type: 'integer' }) client_id!: number;
  @ApiProperty() client_name!: string;
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'The last difference the periodic check found with the WhatsApp server; null if it never found one',
  })
  drift!: string | null;
  @ApiProperty({ type: 'integer', nullable: true, description: 'The upstream (Evolution API server) it lives on' })
  upstream_id!: number | null;
  @ApiProperty({ nullable: true, type: String, example: 'default', description: 'That upstream’s name' })
  upstream_name!: string | null;
}

export class OperatorInstanceListResponseDto {
  @ApiProperty({ type: OperatorInstanceDto, isArray: true, description: 'Oldest first' })
  instances!: OperatorInstanceDto[];
  @ApiProperty({ type: 'integer', description: 'Instances in all, over every page' }) total!: number;
}

export class StateResponseDto {
  @ApiProperty({ example: 'shop-branch-kilimani' }) instance!: string;
  @ApiProperty({ enum: CONNECTION_STATES, enumName: 'ConnectionState' }) state!: string;
}

export class QrCodeQueryDto {
  @ApiPropertyOptional({
    example: '0712345678',
    description:
      'Link by phone number instead of scanning: the WhatsApp number to link, in any form a send takes. The answer ' +
      'then carries `pairing_code`, to type on that phone (WhatsApp > Linked devices > Link with phone number).',
  })
  @IsOptional()
  @MaxLength(64)
  @IsString()
  number?: string;
}

export class StatusResponseDto extends StateResponseDto {
  @ApiProperty(RESTRICTION_FIELD) restriction!: RestrictionDto | null;
}

export class QrCodeResponseDto extends StateResponseDto {
  @ApiProperty({ nullable: true, type: String, description: 'PNG data URI of the QR code' }) base64!: string | null;
  @ApiProperty({ nullable: true, type: String }) code!: string | null;
  @ApiProperty({ nullable: true, type: String }) pairingCode!: string | null;
  @ApiProperty({ type: 'integer', description: 'How many QR codes the upstream produced; 0 means none yet' })
  count!: number;
  @ApiPropertyOptional({
    nullable: true,
    type: String,
    example: 'WZYEH1YY',
    description:
      'Only with `?number=`: the 8-character code to enter on that phone. Null when the instance is already ' +
      'connected, when no code came yet, or while a connection begun without this number still runs',
  })
  pairing_code?: string | null;
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
