import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { OptionalInt } from '@/common/validation/query-fields';

/** The most numbers one import takes (about 250 KB of JSON, inside the default body limit). */
export const MAX_NUMBERS_PER_IMPORT = 10_000;

export class OptOutsQueryDto {
  @OptionalInt({ min: 1, max: 200, default: 50 })
  limit: number = 50;

  @ApiPropertyOptional({ description: 'Only this number, in any form a send takes' })
  @IsOptional()
  @MaxLength(64)
  @IsString()
  number?: string;

  @ApiPropertyOptional({ description: '`next_cursor` of the previous page' })
  @IsOptional()
  @Matches(/^[A-Za-z0-9_-]{1,40}$/, { message: 'must be the next_cursor of a previous page' })
  cursor?: string;
}

export class ImportOptOutsDto {
  @ApiProperty({
    description: `Numbers to put on the list (1 to ${MAX_NUMBERS_PER_IMPORT}), in any form a send takes; normalised as sends are`,
    example: ['254712345678', '+254 711 000 111', '0722000222'],
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_NUMBERS_PER_IMPORT)
  @MaxLength(64, { each: true })
  @IsString({ each: true })
  numbers!: string[];

  @ApiPropertyOptional({
    enum: ['api', 'import'],
    default: 'api',
    description: 'Recorded with each number: `import` marks a list brought over from another system',
  })
  @IsOptional()
  @IsIn(['api', 'import'], { message: 'must be api or import' })
  source?: 'api' | 'import';
}

export class ImportedOptOutsDto {
  @ApiProperty({ description: 'Numbers in the request', example: 3 }) received!: number;
  @ApiProperty({ description: 'Numbers that were not on the list before (repeats and known ones are not)', example: 2 })
  added!: number;
}

export class OptOutResponseDto {
  @ApiProperty({ example: '254712345678' }) number!: string;
  @ApiProperty({ enum: ['keyword', 'api', 'import'], description: 'How the number got on the list' })
  source!: 'keyword' | 'api' | 'import';
  @ApiProperty({ nullable: true, type: String, example: 'STOP', description: 'The keyword it sent (source keyword)' })
  keyword!: string | null;
  @ApiProperty({ example: '2026-12-03T10:00:00.000Z' }) created_at!: string;
}

export class OptOutsPageDto {
  @ApiProperty({ type: [OptOutResponseDto] }) opt_outs!: OptOutResponseDto[];
  @ApiProperty({ description: 'Numbers on the list (matching `number` when given)' }) total!: number;
  @ApiProperty({ nullable: true, type: String, description: 'Pass as `cursor` for the next page; null on the last' })
  next_cursor!: string | null;
}
