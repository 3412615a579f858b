import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsISO8601, IsOptional, IsString, IsUUID, Matches, MaxLength } from 'class-validator';
import { OptionalInstanceName, OptionalInt, OptionalOneOf } from '@/common/validation/query-fields';

/**
 * Every status a logged message can have: queued → sent → delivered → read, or failed; `scheduled` until its send_at,
 * then queued, or `cancelled` (DELETE /messages/{id}) or `expired` (its expiry came before it could leave).
 */
export const MESSAGE_STATUSES = [
  'scheduled',
  'queued',
  'sent',
  'delivered',
  'read',
  'failed',
  'cancelled',
  'expired',
] as const;

/** The log's filters, shared by the paged list and the export. */
export class MessageFiltersDto {
  @OptionalInstanceName()
  instance?: string;

  @OptionalOneOf(MESSAGE_STATUSES)
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
}

export class LogsQueryDto extends MessageFiltersDto {
  @OptionalInt({ min: 1, max: 200, default: 50 })
  limit: number = 50;

  @OptionalInt({ min: 0, default: 0, description: 'Rows to skip; prefer `cursor` for deep pages' })
  offset: number = 0;

  @ApiPropertyOptional({ description: '`next_cursor` of the previous page: fast at any depth' })
  @IsOptional()
  @Matches(/^[A-Za-z0-9_-]{1,40}$/, { message: 'must be the next_cursor of a previous page' })
  cursor?: string;
}
