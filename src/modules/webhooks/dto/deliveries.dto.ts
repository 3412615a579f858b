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

export function toDeliveryResponse(d: WebhookDelivery, instanceName: string) {
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
