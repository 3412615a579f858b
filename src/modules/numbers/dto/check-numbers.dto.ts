import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsString, Matches, MaxLength } from 'class-validator';
import { INSTANCE_NAME, INSTANCE_NAME_RULE } from '@/common/validation/instance-name';

/** Most numbers one check takes: the upstream looks each one up on WhatsApp. */
export const MAX_NUMBERS_PER_CHECK = 500;

export class CheckNumbersDto {
  @ApiProperty({ example: 'my-sales', description: 'The instance whose WhatsApp session looks the numbers up' })
  @Matches(INSTANCE_NAME, { message: INSTANCE_NAME_RULE })
  instanceName!: string;

  @ApiProperty({
    type: [String],
    example: ['0712345678', '+254712345679'],
    description: `1 to ${MAX_NUMBERS_PER_CHECK} numbers, in any form a send takes`,
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_NUMBERS_PER_CHECK)
  @IsString({ each: true })
  @MaxLength(64, { each: true })
  numbers!: string[];
}

export class NumberCheckDto {
  @ApiProperty({ example: '254712345678', description: 'The number as sends normalise it' })
  number!: string;

  @ApiProperty({ example: true, description: 'Whether the number has WhatsApp' })
  exists!: boolean;

  @ApiProperty({ example: '254712345678@s.whatsapp.net' })
  jid!: string;
}
