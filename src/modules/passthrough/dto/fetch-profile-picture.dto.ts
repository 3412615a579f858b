import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches, MaxLength } from 'class-validator';
import { AcceptsUnknownFields } from '@/common/validation/app-validation.pipe';

/** `{number}` of fetchProfilePictureUrl: the POST body upstream, the GET query in the reference (contract §2.3). */
@AcceptsUnknownFields()
export class LegacyProfilePictureDto {
  @ApiProperty({ example: '254712345678' })
  @IsString()
  @MaxLength(64)
  @Matches(/\S/, { message: 'must not be blank' })
  number!: string;
}
