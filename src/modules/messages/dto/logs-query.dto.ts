import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min } from 'class-validator';
import { INSTANCE_NAME, INSTANCE_NAME_RULE } from '@/modules/instances/dto/instance.dto';

export const MESSAGE_STATUSES = ['queued', 'sent', 'delivered', 'read', 'failed'] as const;

export class LogsQueryDto {
  @ApiPropertyOptional({ default: 50, minimum: 1, maximum: 200 })
  @IsOptional()
  @Type(() => Number)
  @Min(1)
  @Max(200)
  @IsInt()
  limit: number = 50;

  @ApiPropertyOptional({ default: 0, description: 'Rows to skip; prefer `cursor` for deep pages' })
  @IsOptional()
  @Type(() => Number)
  @Min(0)
  @IsInt()
  offset: number = 0;

  @ApiPropertyOptional({ description: 'Instance name' })
  @IsOptional()
  @Matches(INSTANCE_NAME, { message: INSTANCE_NAME_RULE })
  instance?: string;

  @ApiPropertyOptional({ enum: MESSAGE_STATUSES })
  @IsOptional()
  @IsIn(MESSAGE_STATUSES, { message: `must be one of ${MESSAGE_STATUSES.join(', ')}` })
  status?: (typeof MESSAGE_STATUSES)[number];

  @ApiPropertyOptional({ description: 'Recipient, in any form the send endpoints accept' })
  @IsOptional()
  @MaxLength(64)
  @IsString()
  number?: string;

  @ApiPropertyOptional({ description: 'Messages of one bulk send' })
  @IsOptional()
  @IsUUID('all', { message: 'must be a bulk id' })
  bulk_id?: string;

  @ApiPropertyOptional({ description: 'Created at or after (ISO 8601)' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'must be an ISO 8601 date or time' })
  from?: string;

  @ApiPropertyOptional({ description: 'Created before (ISO 8601)' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'must be an ISO 8601 date or time' })
  to?: string;

  @ApiPropertyOptional({ description: '`next_cursor` of the previous page: fast at any depth' })
  @IsOptional()
  @Matches(/^[A-Za-z0-9_-]{1,40}$/, { message: 'must be the next_cursor of a previous page' })
  cursor?: string;
}
