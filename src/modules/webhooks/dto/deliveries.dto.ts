import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { WebhookDelivery } from '@/generated/prisma/client';
import { INSTANCE_NAME, INSTANCE_NAME_RULE } from '@/modules/instances/dto/instance.dto';

export const DELIVERY_STATUSES = ['pending', 'retrying', 'succeeded', 'dead'] as const;

export class DeliveriesQueryDto {
  @ApiPropertyOptional({ enum: DELIVERY_STATUSES })
  @IsOptional()
  @IsIn(DELIVERY_STATUSES, { message: `must be one of ${DELIVERY_STATUSES.join(', ')}` })
  status?: (typeof DELIVERY_STATUSES)[number];

  @ApiPropertyOptional({ example: 'messages.update' })
  @IsOptional()
  @MaxLength(64)
  @IsString()
  event?: string;

  @ApiPropertyOptional({ description: 'Instance name' })
  @IsOptional()
  @Matches(INSTANCE_NAME, { message: INSTANCE_NAME_RULE })
  instance?: string;

  @ApiPropertyOptional({ default: 50, minimum: 1, maximum: 200 })
  @IsOptional()
  @Type(() => Number)
  @Min(1)
  @Max(200)
  @IsInt()
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

  @ApiPropertyOptional({ description: 'Only this instance' })
  @IsOptional()
  @Matches(INSTANCE_NAME, { message: INSTANCE_NAME_RULE })
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
