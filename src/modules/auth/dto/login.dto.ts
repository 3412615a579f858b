import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength } from 'class-validator';

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

export class ResellerTokenResponseDto {
  @ApiProperty({ description: 'Reseller JWT (HS256, 30 days); send as Authorization: Bearer' })
  token!: string;

  @ApiProperty({ example: 2592000 })
  expires_in!: number;

  @ApiProperty({ example: 1 })
  client_id!: number;
}
