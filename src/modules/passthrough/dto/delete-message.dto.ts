import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsOptional, IsString, MaxLength, MinLength, ValidateIf } from 'class-validator';
import { AcceptsUnknownFields } from '@/common/validation/app-validation.pipe';

/**
 * The reference's `DELETE /chat/deleteMessage` body `{remoteJid, messageId, fromMe, onlyMe}` and the upstream's
 * deleteMessageForEveryone body `{id, remoteJid, fromMe, participant?}` (contract §2.3, which answers a missing field
 * with a 500): either route takes either name of the id. The gateway sends the upstream only these fields.
 */
@AcceptsUnknownFields()
export class LegacyDeleteMessageDto {
  @ApiPropertyOptional({
    description: 'The message’s id (the reference’s name; `id` upstream)',
    example: 'BAE5F2A1B2C3D4E5',
  })
  @ValidateIf((dto: LegacyDeleteMessageDto) => dto.id === undefined || dto.messageId !== undefined)
  @IsString({ message: 'is required (or id)' })
  @MinLength(1)
  messageId?: string;

  @ApiPropertyOptional({ description: 'The message’s id (the upstream’s name)' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  id?: string;

  @ApiProperty({ example: '254712345678@s.whatsapp.net' })
  @IsString()
  @MinLength(1)
  @MaxLength(128)
  remoteJid!: string;

  @ApiProperty({ description: 'Whether the message was sent by this instance' })
  @IsBoolean()
  fromMe!: boolean;

  @ApiPropertyOptional({ description: 'In a group: who sent the message' })
  @IsOptional()
  @IsString()
  participant?: string;

  @ApiPropertyOptional({ description: 'Only false: deleting a message only for yourself is not supported' })
  @IsOptional()
  @IsIn([false], {
    message:
      'deleting a message only for yourself is not supported; omit onlyMe or set it to false to delete for everyone',
  })
  onlyMe?: boolean;
}
