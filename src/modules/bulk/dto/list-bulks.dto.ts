import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, Matches } from 'class-validator';
import { ValidationError } from '@/common/errors/app-error';
import { OptionalInstanceName, OptionalInt, OptionalOneOf } from '@/common/validation/query-fields';
import { BULK_STATUSES } from './bulk-response.dto';

export class ListBulksQueryDto {
  @OptionalInt({ min: 1, max: 100, default: 20 })
  limit: number = 20;

  @ApiPropertyOptional({ description: '`next_cursor` of the previous page' })
  @IsOptional()
  @Matches(/^[A-Za-z0-9_-]{1,100}$/, { message: 'must be the next_cursor of a previous page' })
  cursor?: string;

  @OptionalInstanceName('Only the bulks of this instance')
  instance?: string;

  @OptionalOneOf(BULK_STATUSES, 'Only the bulks in this status')
  status?: (typeof BULK_STATUSES)[number];
}

/** Where a page of bulks ends: the last bulk's creation time and id (newest first, the id breaks ties). */
export interface BulkCursor {
  createdAt: Date;
  id: string;
}

const CURSOR = /^b:(\d{1,15}):([0-9a-f-]{36})$/;

export function encodeBulkCursor(cursor: BulkCursor): string {
  return Buffer.from(`b:${cursor.createdAt.getTime()}:${cursor.id}`).toString('base64url');
}

export function decodeBulkCursor(text: string): BulkCursor {
  const match = CURSOR.exec(Buffer.from(text, 'base64url').toString());
  if (!match) throw new ValidationError('cursor: must be the next_cursor of a previous page');
  return { createdAt: new Date(Number(match[1])), id: match[2]! };
}
