import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { ParsePositiveIdPipe } from '@/common/validation/parse-positive-id.pipe';
import { AdminAuthenticated, CurrentAdmin } from '@/modules/auth/auth.guards';
import { AdminAuth } from '@/modules/auth/auth-context';
import { RotateKeyDto } from '@/modules/auth/dto/rotation.dto';
import { AdminService } from './admin.service';
import {
  ClientResponseDto,
  CreateClientDto,
  CreatedClientResponseDto,
  ListQueryDto,
  RotatedKeyResponseDto,
  UpdateClientDto,
} from './dto/client.dto';

const clientId = new ParsePositiveIdPipe('id');

@ApiTags('Admin')
@AdminAuthenticated()
@Controller('api/admin/clients')
export class AdminClientsController {
  constructor(private readonly admin: AdminService) {}

  @Post()
  @ApiOperation({ summary: 'Create a client; the response carries its API key, shown this once' })
  @ApiCreatedResponse({ type: CreatedClientResponseDto })
  create(@CurrentAdmin() admin: AdminAuth, @Body() dto: CreateClientDto): Promise<CreatedClientResponseDto> {
    return this.admin.createClient(admin, dto);
  }

  @Get()
  @ApiOperation({ summary: 'List clients' })
  list(@Query() query: ListQueryDto): Promise<{ clients: ClientResponseDto[]; total: number }> {
    return this.admin.listClients(query.limit, query.offset);
  }

  @Get(':id')
  @ApiOkResponse({ type: ClientResponseDto })
  @ApiNotFoundResponse()
  get(@Param('id', clientId) id: number): Promise<ClientResponseDto> {
    return this.admin.getClient(id);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change limits, webhook URL, name, or deactivate (active: false)' })
  @ApiOkResponse({ type: ClientResponseDto })
  update(
    @CurrentAdmin() admin: AdminAuth,
    @Param('id', clientId) id: number,
    @Body() dto: UpdateClientDto,
  ): Promise<ClientResponseDto> {
    return this.admin.updateClient(admin, id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a client: every key stops working; its logs stay' })
  @ApiNoContentResponse()
  remove(@CurrentAdmin() admin: AdminAuth, @Param('id', clientId) id: number): Promise<void> {
    return this.admin.deleteClient(admin, id);
  }

  @Post(':id/rotate-key')
  @HttpCode(200)
  @ApiOperation({ summary: 'Issue a new API key; grace_seconds keeps the old one valid that long' })
  @ApiOkResponse({ type: RotatedKeyResponseDto })
  rotateKey(
    @CurrentAdmin() admin: AdminAuth,
    @Param('id', clientId) id: number,
    @Body() dto: RotateKeyDto,
  ): Promise<RotatedKeyResponseDto> {
    return this.admin.rotateKey(admin, id, dto.grace_seconds ?? 0);
  }
}
