import { ApiProperty, ApiPropertyOptional, PartialType, PickType } from '@nestjs/swagger';
import {
  IsBoolean,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';

const URL_OPTIONS = {
  protocols: ['http', 'https'],
  require_protocol: true,
  require_tld: false,
  allow_underscores: true,
};
/** No user:password@ part: the key travels in its own header, and the URL is shown back. */
const NO_CREDENTIALS = /^https?:\/\/[^/@]+(\/.*)?$/;

export class CreateUpstreamDto {
  @ApiProperty({ example: 'evo-eu-2', description: 'Unique in the pool; letters, digits, "-" and "_"' })
  @Matches(/^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/, {
    message: 'must be 1-63 letters, digits, "-" or "_", starting with a letter or digit',
  })
  @IsString()
  name!: string;

  @ApiProperty({ example: 'http://evolution-2:8080', description: 'Base URL of the Evolution API server' })
  @Matches(NO_CREDENTIALS, { message: 'must not carry a user or password' })
  @IsUrl(URL_OPTIONS, { message: 'must be an http(s) URL' })
  @MaxLength(500)
  @IsString()
  url!: string;

  @ApiProperty({
    description: 'The server’s global API key (its AUTHENTICATION_API_KEY); stored encrypted, never shown again',
  })
  @MinLength(1)
  @MaxLength(500)
  @IsString()
  api_key!: string;

  @ApiProperty({ example: 300, description: 'How many live instances it may hold' })
  @Min(0)
  @Max(100000)
  @IsInt()
  capacity!: number;
}

/** Any of capacity, url and api_key (a new URL or key must reach the same server: its sessions stay there), or draining. */
export class UpdateUpstreamDto extends PartialType(
  PickType(CreateUpstreamDto, ['capacity', 'url', 'api_key'] as const),
) {
  @ApiPropertyOptional({
    description: 'true: it gets no new instances, and those it holds keep working until they are deleted',
  })
  @IsOptional()
  @IsBoolean()
  draining?: boolean;
}

export class UpstreamResponseDto {
  @ApiProperty({ example: 2 }) id!: number;
  @ApiProperty({ example: 'evo-eu-2' }) name!: string;
  @ApiProperty({ example: 'http://evolution-2:8080' }) url!: string;
  @ApiProperty({ example: 300 }) capacity!: number;
  @ApiProperty({ description: 'Draining: it gets no new instances' }) draining!: boolean;
  @ApiProperty({ example: 120, description: 'Live instances it holds' }) instances!: number;
  @ApiProperty({ example: 180, description: 'Places left for new instances: capacity minus instances, at least 0' })
  free!: number;
  @ApiProperty({
    enum: ['up', 'down'],
    description:
      'Its circuit in the process that answered: down after failed probes or unreachable calls in a row, and then ' +
      'its instances’ calls answer 503 at once until a probe succeeds',
  })
  state!: 'up' | 'down';
  @ApiProperty({ example: 0, description: 'Failed probes or unreachable calls in a row' }) failures!: number;
  @ApiProperty({
    nullable: true,
    type: String,
    example: 'unreachable: ECONNREFUSED',
    description: 'Why it last failed',
  })
  last_error!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) last_error_at!: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    format: 'date-time',
    description: 'When its circuit last opened (down) or closed again (up); null while up since the process started',
  })
  state_since!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) last_probe_at!: string | null;
  @ApiProperty({ type: String, format: 'date-time' }) created_at!: string;
  @ApiProperty({ type: String, format: 'date-time' }) updated_at!: string;
}

export class UpstreamListResponseDto {
  @ApiProperty({ type: UpstreamResponseDto, isArray: true, description: 'Oldest first' })
  upstreams!: UpstreamResponseDto[];
}
