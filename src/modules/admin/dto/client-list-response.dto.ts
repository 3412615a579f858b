import { ApiProperty } from '@nestjs/swagger';
import { ClientResponseDto } from './client.dto';

export class ClientListResponseDto {
  @ApiProperty({ type: ClientResponseDto, isArray: true, description: 'Oldest first' })
  clients!: ClientResponseDto[];

  @ApiProperty({ type: 'integer', description: 'Clients in all, over every page' })
  total!: number;
}
