import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches, MaxLength, MinLength, ValidateIf } from 'class-validator';
import { INSTANCE_NAME, INSTANCE_NAME_RULE } from '@/modules/instances/dto/instance.dto';
import { SendTimingDto } from '../send-timing';

export const MEDIA_TYPES = ['image', 'video', 'document', 'audio'] as const;
export type MediaType = (typeof MEDIA_TYPES)[number];

/** The kind of a media send: v1's `mediaType`, the legacy routes' `mediatype`. */
export function MediaKind(): PropertyDecorator {
  return applyDecorators(
    ApiProperty({ enum: MEDIA_TYPES }),
    IsIn(MEDIA_TYPES, { message: `must be one of ${MEDIA_TYPES.join(', ')}` }),
  );
}

/** A file to send (v1's and the legacy `media`, the legacy `audio` and `sticker`); URLs are fetched by the gateway. */
export function MediaSource(example = 'https://example.com/photo.jpg'): PropertyDecorator {
  return applyDecorators(
    ApiProperty({ description: 'A public http(s) URL, base64 data, or a base64 data URI', example }),
    IsString(),
    MinLength(1),
  );
}

export class SendTextDto extends SendTimingDto {
  @ApiProperty({ example: 'my-sales' })
  @Matches(INSTANCE_NAME, { message: INSTANCE_NAME_RULE })
  instanceName!: string;

  @ApiProperty({
    example: '254712345678',
    description: '0712345678, +254712345678, 254712345678, or a group JID (…@g.us)',
  })
  @MaxLength(64)
  @IsString()
  number!: string;

  @ApiProperty({ example: 'Hello from NextMavens!' })
  @MaxLength(65536)
  @Matches(/\S/, { message: 'must not be blank' })
  @IsString()
  text!: string;
}

export class SendMediaDto extends SendTimingDto {
  @ApiProperty({ example: 'my-sales' })
  @Matches(INSTANCE_NAME, { message: INSTANCE_NAME_RULE })
  instanceName!: string;

  @ApiProperty({ example: '254712345678' })
  @MaxLength(64)
  @IsString()
  number!: string;

  @MediaKind()
  mediaType!: MediaType;

  @MediaSource()
  media!: string;

  @ApiPropertyOptional({ description: 'Shown under images, videos and documents' })
  @IsOptional()
  @MaxLength(4096)
  @IsString()
  caption?: string;

  @ApiPropertyOptional({ description: 'Required for documents: the name the recipient sees, with its extension' })
  @ValidateIf((dto: SendMediaDto) => dto.mediaType === 'document' || dto.fileName !== undefined)
  @MaxLength(255)
  @Matches(/\S/, { message: 'is required for documents and must not be blank' })
  @IsString({ message: 'is required for documents' })
  fileName?: string;

  @ApiPropertyOptional({ example: 'image/jpeg' })
  @IsOptional()
  @Matches(/^[\w.+-]+\/[\w.+-]+$/, { message: 'must be a MIME type such as image/jpeg' })
  mimetype?: string;
}
