import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
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
import { OptionalInt } from '@/common/validation/query-fields';
import { Client } from '@/generated/prisma/client';
import { DEFAULT_OPT_IN_KEYWORDS, DEFAULT_OPT_OUT_KEYWORDS, keywordForm } from '@/modules/opt-outs/keywords';

const URL_OPTIONS = { protocols: ['http', 'https'], require_protocol: true, require_tld: false };

/** A list of inbound keywords: at most 20 words, stored trimmed and in upper case (they match in any case). */
function Keywords(description: string, example: string[]): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({ description, example, type: [String] }),
    IsOptional(),
    IsArray(),
    ArrayMaxSize(20),
    IsString({ each: true }),
    Matches(/^\S(.{0,30}\S)?$/u, { each: true, message: 'each keyword must be 1 to 32 characters, not blank' }),
    Transform(({ value }: { value: unknown }) =>
      Array.isArray(value) ? value.map((k: unknown) => (typeof k === 'string' ? keywordForm(k) : k)) : value,
    ),
  );
}

export class CreateClientDto {
  @ApiProperty({ example: 'Acme Shops' })
  @MinLength(1)
  @MaxLength(100)
  @IsString()
  name!: string;

  @ApiPropertyOptional({ description: 'Requests per minute across the client’s keys', default: 60, minimum: 1 })
  @IsOptional()
  @Min(1)
  @Max(100000)
  @IsInt()
  rate_limit?: number;

  @ApiPropertyOptional({ description: 'Messages per instance per day', default: 250, minimum: 1 })
  @IsOptional()
  @Min(1)
  @Max(100000)
  @IsInt()
  daily_cap?: number;

  @ApiPropertyOptional({ description: 'How many WhatsApp instances the client may own', default: 10, minimum: 0 })
  @IsOptional()
  @Min(0)
  @Max(10000)
  @IsInt()
  max_instances?: number;

  @ApiPropertyOptional({
    description: 'Minimum gap between two sends of one instance, in ms',
    default: 1000,
    minimum: 0,
  })
  @IsOptional()
  @Min(0)
  @Max(600000)
  @IsInt()
  send_interval_ms?: number;

  @ApiPropertyOptional({
    description:
      'Allows send_interval_ms below 1000 on WhatsApp Web (Baileys) instances, where sending faster than one message a second gets numbers banned. Audited.',
    default: false,
  })
  @IsOptional()
  @IsBoolean()
  pacing_override?: boolean;

  @ApiPropertyOptional({ description: 'Smallest random jitter added to the gap, in ms', default: 1000, minimum: 0 })
  @IsOptional()
  @Min(0)
  @Max(600000)
  @IsInt()
  jitter_min_ms?: number;

  @ApiPropertyOptional({ description: 'Largest random jitter added to the gap, in ms', default: 5000, minimum: 0 })
  @IsOptional()
  @Min(0)
  @Max(600000)
  @IsInt()
  jitter_max_ms?: number;

  @ApiPropertyOptional({
    description: 'Default webhook URL for instances without their own',
    example: 'https://example.com/wa',
  })
  @IsOptional()
  @MaxLength(2000)
  @IsUrl(URL_OPTIONS, { message: 'must be an http(s) URL' })
  webhook_url?: string;

  @Keywords(
    'Inbound texts (trimmed, any case) that put the sender on the client’s opt-out list; an empty list turns keyword opt-outs off',
    DEFAULT_OPT_OUT_KEYWORDS,
  )
  opt_out_keywords?: string[];

  @Keywords('Inbound texts that take the sender off the opt-out list again', DEFAULT_OPT_IN_KEYWORDS)
  opt_in_keywords?: string[];
}

export class UpdateClientDto extends PartialType(CreateClientDto) {
  @ApiPropertyOptional({ description: 'false deactivates the client: its keys and tokens get 403' })
  @IsOptional()
  @IsBoolean()
  active?: boolean;
}

export class ListQueryDto {
  @OptionalInt({ min: 1, max: 200, default: 50 })
  limit: number = 50;

  @OptionalInt({ min: 0, default: 0 })
  offset: number = 0;
}

export class ClientResponseDto {
  @ApiProperty({ example: 1 }) id!: number;
  @ApiProperty() name!: string;
  @ApiProperty() active!: boolean;
  @ApiProperty({ example: 60 }) rate_limit!: number;
  @ApiProperty({ example: 250 }) daily_cap!: number;
  @ApiProperty({ example: 10 }) max_instances!: number;
  @ApiProperty({ example: 1000 }) send_interval_ms!: number;
  @ApiProperty({ description: 'Whether send_interval_ms may go below 1000 on WhatsApp Web instances' })
  pacing_override!: boolean;
  @ApiProperty({ example: 1000 }) jitter_min_ms!: number;
  @ApiProperty({ example: 5000 }) jitter_max_ms!: number;
  @ApiProperty({ nullable: true, type: String }) webhook_url!: string | null;
  @ApiProperty({ example: DEFAULT_OPT_OUT_KEYWORDS }) opt_out_keywords!: string[];
  @ApiProperty({ example: DEFAULT_OPT_IN_KEYWORDS }) opt_in_keywords!: string[];
  @ApiProperty({ description: 'First characters of the current key, to tell keys apart', nullable: true, type: String })
  api_key_prefix!: string | null;
  @ApiProperty() created_at!: string;
  @ApiProperty() updated_at!: string;
}

export class CreatedClientResponseDto extends ClientResponseDto {
  @ApiProperty({ description: 'The client API key. Shown once; only its hash is stored.', example: 'nmk_live_…' })
  api_key!: string;
}

export class RotatedKeyResponseDto {
  @ApiProperty({ description: 'The new client API key. Shown once.' }) api_key!: string;
  @ApiProperty({ description: 'When the previous key stops working', nullable: true, type: String })
  previous_key_expires_at!: string | null;
}

export function toClientResponse(client: Client, keyPrefix: string | null): ClientResponseDto {
  return {
    id: client.id,
    name: client.name,
    active: client.active,
    rate_limit: client.rateLimit,
    daily_cap: client.dailyCap,
    max_instances: client.maxInstances,
    send_interval_ms: client.sendIntervalMs,
    pacing_override: client.pacingOverride,
    jitter_min_ms: client.jitterMinMs,
    jitter_max_ms: client.jitterMaxMs,
    webhook_url: client.webhookUrl,
    opt_out_keywords: client.optOutKeywords,
    opt_in_keywords: client.optInKeywords,
    api_key_prefix: keyPrefix,
    created_at: client.createdAt.toISOString(),
    updated_at: client.updatedAt.toISOString(),
  };
}
