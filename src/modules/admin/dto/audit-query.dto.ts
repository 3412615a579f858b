import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { MAX_INT_ID } from '@/common/validation/parse-positive-id.pipe';
import { OptionalInt } from '@/common/validation/query-fields';

export class AuditQueryDto {
  @ApiPropertyOptional({ description: 'Only events about this client' })
  @IsOptional()
  @Type(() => Number)
  @Min(1)
  @Max(MAX_INT_ID)
  @IsInt()
  client_id?: number;

  @ApiPropertyOptional({ example: 'client.key_rotated' })
  @IsOptional()
  @MaxLength(64)
  @IsString()
  action?: string;

  @OptionalInt({ min: 1, max: 200, default: 50 })
  limit: number = 50;

  @ApiPropertyOptional({ description: 'next_cursor of the previous page' })
  @IsOptional()
  @Matches(/^\d{1,19}$/, { message: 'must be the next_cursor of a previous page' })
  cursor?: string;
}
