import { ApiProperty, ApiPropertyOptional, IntersectionType, PickType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsObject, IsOptional, IsString, Max, MaxLength, Min, MinLength, ValidateNested } from 'class-validator';
import { AcceptsUnknownFields } from '@/common/validation/app-validation.pipe';
import { MediaKind, MediaSource, MediaType, SendMediaDto, SendTextDto } from '@/modules/messages/dto/send.dto';

/** The longest `delay` the gateway waits for: the upstream holds the send that long before answering. */
export const MAX_SEND_DELAY_MS = 120000;

/**
 * The fields every legacy send shares. The number is checked as on v1 (then normalised by the send service); every
 * other field of the upstream's body (quoted, mentioned, linkPreview...) reaches the upstream as the caller wrote it.
 * Each body class carries AcceptsUnknownFields itself: IntersectionType copies fields, not class marks.
 */
@AcceptsUnknownFields()
export class LegacySendDto extends PickType(SendTextDto, ['number'] as const) {
  @ApiPropertyOptional({
    description: `Milliseconds the WhatsApp server waits, showing "typing…", before sending (at most ${MAX_SEND_DELAY_MS})`,
    example: 1200,
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_SEND_DELAY_MS)
  delay?: number;
}

@AcceptsUnknownFields()
export class LegacySendTextDto extends IntersectionType(LegacySendDto, PickType(SendTextDto, ['text'] as const)) {}

@AcceptsUnknownFields()
export class LegacySendMediaDto extends IntersectionType(
  LegacySendDto,
  PickType(SendMediaDto, ['media', 'caption', 'mimetype'] as const),
) {
  @MediaKind()
  mediatype!: MediaType;

  @ApiPropertyOptional({
    description: 'The name the recipient sees, with its extension; by default the name the media URL served',
  })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  fileName?: string;
}

@AcceptsUnknownFields()
export class LegacySendAudioDto extends LegacySendDto {
  @MediaSource('https://example.com/note.mp3')
  audio!: string;
}

@AcceptsUnknownFields()
export class LegacySendStickerDto extends LegacySendDto {
  @MediaSource('https://example.com/sticker.png')
  sticker!: string;
}

export class LegacyReactionKeyDto {
  @ApiProperty({ description: 'The chat of the message to react to', example: '254712345678@s.whatsapp.net' })
  @IsString()
  @MinLength(1)
  remoteJid!: string;
}

/** A reaction goes to the chat of the message it reacts to (contract §2.2); `reaction` and the key's id are the upstream's. */
@AcceptsUnknownFields()
export class LegacySendReactionDto {
  @ApiProperty({ type: LegacyReactionKeyDto, description: '{remoteJid, fromMe, id} of the message to react to' })
  @IsObject()
  @ValidateNested()
  @Type(() => LegacyReactionKeyDto)
  key!: LegacyReactionKeyDto;
}

/** Each send route's body. */
export interface LegacySendBodies {
  sendText: LegacySendTextDto;
  sendMedia: LegacySendMediaDto;
  sendWhatsAppAudio: LegacySendAudioDto;
  sendLocation: LegacySendDto;
  sendContact: LegacySendDto;
  sendSticker: LegacySendStickerDto;
  sendPoll: LegacySendDto;
  sendButtons: LegacySendDto;
  sendReaction: LegacySendReactionDto;
}
