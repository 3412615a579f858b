import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { OptionalInt } from '@/common/validation/query-fields';
import { INSTANCE_NAME, INSTANCE_NAME_RULE } from '@/modules/instances/dto/instance.dto';
import { SendTimingDto } from '@/modules/messages/send-timing';

export const MAX_BULK_RECIPIENTS = 10000;

export type BulkRecipientInput = string | { number: string; variables?: Record<string, string | number> };

export class SendBulkDto extends SendTimingDto {
  @ApiProperty({ example: 'my-sales' })
  @Matches(INSTANCE_NAME, { message: INSTANCE_NAME_RULE })
  instanceName!: string;

  @ApiProperty({
    description: `Up to ${MAX_BULK_RECIPIENTS} numbers, or objects {number, variables} whose variables fill {{name}} placeholders. Invalid entries are rejected one by one.`,
    example: ['254712345678', { number: '254723456789', variables: { name: 'Amina' } }],
  })
  @ArrayMaxSize(MAX_BULK_RECIPIENTS)
  @ArrayMinSize(1)
  @IsArray()
  recipients!: BulkRecipientInput[];

  @ApiProperty({ example: 'Hello {{name}}!' })
  @MaxLength(65536)
  @Matches(/\S/, { message: 'must not be blank' })
  @IsString()
  message!: string;

  @ApiPropertyOptional({
    description: 'Gap between two sends in ms; never less than the client’s pacing interval',
    example: 2000,
  })
  @IsOptional()
  @Min(0)
  @Max(600000)
  @IsInt()
  delay?: number;

  @ApiPropertyOptional({
    description:
      'Look each recipient up on WhatsApp before sending to it (through check-numbers: its cache and its per-minute ' +
      'limit apply); one without WhatsApp is skipped (status `skipped`, error `not_on_whatsapp`) and never sent',
    default: false,
  })
  @IsOptional()
  @IsBoolean()
  check_numbers?: boolean;
}

export class RejectedRecipientDto {
  @ApiProperty({ example: '0712', description: 'The recipient as given, or `recipients.<index>` when not a string' })
  number!: string;
  @ApiProperty({ example: '"0712" is too short to be a phone number' }) reason!: string;
}

export class BulkAcceptedDto {
  @ApiProperty({ format: 'uuid' }) bulk_id!: string;
  @ApiProperty({ type: 'integer', description: 'Recipients in the request' }) total!: number;
  @ApiProperty({ type: 'integer', description: 'Recipients that will be sent to' }) accepted!: number;
  @ApiProperty({ type: RejectedRecipientDto, isArray: true }) rejected!: RejectedRecipientDto[];
  @ApiProperty({ type: [String], description: 'Content guard warnings about the message' }) warnings!: string[];
  @ApiProperty({ enum: ['queued', 'scheduled'], description: '`scheduled` when send_at was given, else `queued`' })
  status!: 'queued' | 'scheduled';
  @ApiProperty({ nullable: true, type: String, format: 'date-time', description: 'When a scheduled bulk starts' })
  send_at!: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    format: 'date-time',
    description: 'Recipients not sent by then are never sent (status `expired`)',
  })
  expires_at!: string | null;
}

export class BulkQueryDto {
  @OptionalInt({ min: 1, max: 1000, default: 100, description: 'Recipients per page' })
  limit: number = 100;

  @OptionalInt({
    min: 0,
    default: 0,
    description: 'Show recipients after this position (next_after of the previous page)',
  })
  after?: number;
}
