import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsString, Matches, MaxLength } from 'class-validator';
import { INSTANCE_NAME, INSTANCE_NAME_RULE } from '@/common/validation/instance-name';
import { MAX_NUMBERS_PER_CHECK } from '@/config/env.schema';

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

  @ApiProperty({
    type: Boolean,
    nullable: true,
    example: true,
    description:
      'Whether the number has WhatsApp; null when the WhatsApp server gave no answer for it. An unknown answer is ' +
      'not kept, so a later check looks the number up again; a bulk with check_numbers sends to such a number',
  })
  exists!: boolean | null;

  @ApiProperty({ example: '254712345678@s.whatsapp.net' })
  jid!: string;
}
