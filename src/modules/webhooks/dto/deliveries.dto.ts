import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsISO8601, IsOptional, IsString, MaxLength } from 'class-validator';
import { OptionalInstanceName, OptionalInt, OptionalOneOf } from '@/common/validation/query-fields';
import { WebhookDelivery } from '@/generated/prisma/client';

export const DELIVERY_STATUSES = ['pending', 'retrying', 'succeeded', 'dead'] as const;

export class DeliveriesQueryDto {
  @OptionalOneOf(DELIVERY_STATUSES)
  status?: (typeof DELIVERY_STATUSES)[number];

  @ApiPropertyOptional({ example: 'messages.update' })
  @IsOptional()
  @MaxLength(64)
  @IsString()
  event?: string;

  @OptionalInstanceName()
  instance?: string;

  @OptionalInt({ min: 1, max: 200, default: 50 })
  limit: number = 50;

  @ApiPropertyOptional({ description: 'next_before of the previous page' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'must be the next_before of a previous page' })
  before?: string;
}

export class RedeliverDeadDto {
  @ApiProperty({ description: 'Redeliver dead deliveries created at or after this time (ISO 8601)' })
  @IsISO8601({ strict: true }, { message: 'must be an ISO 8601 date or time' })
  since!: string;

  @OptionalInstanceName('Only this instance')
  instance?: string;
}

export class DeliveryResponseDto {
  @ApiProperty({ format: 'uuid', description: 'Also the webhook-id header of every attempt' }) id!: string;
  @ApiProperty({ example: 'shop-1' }) instance!: string;
  @ApiProperty({ example: 'messages.update' }) event!: string;
  @ApiProperty({ example: 'https://yourapp.com/webhook/whatsapp' }) url!: string;
  @ApiProperty({ enum: DELIVERY_STATUSES, enumName: 'DeliveryStatus' }) status!: string;
  @ApiProperty({ type: 'integer', description: 'Attempts made so far' }) attempts!: number;
  @ApiProperty({ nullable: true, type: 'integer', description: 'HTTP status of the last attempt' })
  last_status_code!: number | null;
  @ApiProperty({ nullable: true, type: String }) last_error!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time', description: 'Null once succeeded or dead' })
  next_attempt_at!: string | null;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) delivered_at!: string | null;
}

export class DeliveryListResponseDto {
  @ApiProperty({ type: DeliveryResponseDto, isArray: true, description: 'Newest first' })
  deliveries!: DeliveryResponseDto[];
  @ApiProperty({ nullable: true, type: String, description: '`before` for the next page; null on the last page' })
  next_before!: string | null;
}

export class RedeliveryResponseDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: ['pending'], description: 'Queued for a first attempt again' }) status!: string;
}

export class RedeliveredDeadResponseDto {
  @ApiProperty({ type: 'integer', description: 'Dead deliveries queued again' }) redelivered!: number;
}

export function toDeliveryResponse(d: WebhookDelivery, instanceName: string): DeliveryResponseDto {
  return {
    id: d.id,
    instance: instanceName,
    event: d.event,
    url: d.url,
    status: d.status,
    attempts: d.attempts,
    last_status_code: d.lastStatusCode,
    last_error: d.lastError,
    next_attempt_at: d.nextAttemptAt?.toISOString() ?? null,
    created_at: d.createdAt.toISOString(),
    delivered_at: d.deliveredAt?.toISOString() ?? null,
  };
}
