import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min, MinLength } from 'class-validator';
import { MIN_RESELLER_TOKEN_TTL_SECONDS, RESELLER_TOKEN_TTL_SECONDS } from '../auth-context';

export class LoginDto {
  @ApiProperty({ example: 'admin' })
  @MinLength(1)
  @MaxLength(64)
  @IsString()
  username!: string;

  @ApiProperty({ example: 'your_password' })
  @MinLength(1)
  @MaxLength(256)
  @IsString()
  password!: string;
}

export class LoginResponseDto {
  @ApiProperty({ description: 'Admin JWT (HS256, 12 hours); send as Authorization: Bearer' })
  token!: string;
}

/** The optional body of POST /api/v1/auth/token: a shorter lifetime, for a browser session for instance. */
export class ResellerTokenRequestDto {
  @ApiPropertyOptional({
    description:
      'Lifetime of the token in seconds, from 300 (5 minutes) to 2592000 (30 days, the default); a dashboard asks ' +
      'for a few hours so a token left in a browser stops working soon',
    type: 'integer',
    minimum: MIN_RESELLER_TOKEN_TTL_SECONDS,
    maximum: RESELLER_TOKEN_TTL_SECONDS,
    default: RESELLER_TOKEN_TTL_SECONDS,
    example: 28800,
  })
  @IsOptional()
  @Min(MIN_RESELLER_TOKEN_TTL_SECONDS)
  @Max(RESELLER_TOKEN_TTL_SECONDS)
  @IsInt()
  expires_in?: number;
}

export class ResellerTokenResponseDto {
  @ApiProperty({
    description: 'Reseller JWT (HS256, 30 days unless the request asked for less); send as Authorization: Bearer',
  })
  token!: string;

  @ApiProperty({ description: 'Seconds until the token expires (its exp claim minus its iat)', example: 2592000 })
  expires_in!: number;

  @ApiProperty({ example: 1 })
  client_id!: number;
}
