import { MAX_INT_ID } from '@/common/validation/parse-positive-id.pipe';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';

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

  @ApiPropertyOptional({ default: 50, minimum: 1, maximum: 200 })
  @IsOptional()
  @Type(() => Number)
  @Min(1)
  @Max(200)
  @IsInt()
  limit: number = 50;

  @ApiPropertyOptional({ description: 'next_cursor of the previous page' })
  @IsOptional()
  @Matches(/^\d{1,19}$/, { message: 'must be the next_cursor of a previous page' })
  cursor?: string;
}
