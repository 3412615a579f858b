import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { ApiUpstreamErrors, ErrorResponseDto } from '@/common/errors/error-response.dto';
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
import { ClientListResponseDto } from './dto/client-list-response.dto';

const clientId = new ParsePositiveIdPipe('id');
const invalid = () => ApiBadRequestResponse({ type: ErrorResponseDto, description: 'A missing or invalid field' });
const unknownClient = () => ApiNotFoundResponse({ type: ErrorResponseDto, description: 'No such client' });

@ApiTags('Admin')
@AdminAuthenticated()
@Controller('api/admin/clients')
export class AdminClientsController {
  constructor(private readonly admin: AdminService) {}

  @Post()
  @ApiOperation({ summary: 'Create a client; the response carries its API key, shown this once' })
  @ApiCreatedResponse({ type: CreatedClientResponseDto })
  @invalid()
  create(@CurrentAdmin() admin: AdminAuth, @Body() dto: CreateClientDto): Promise<CreatedClientResponseDto> {
    return this.admin.createClient(admin, dto);
  }

  @Get()
  @ApiOperation({ summary: 'List clients' })
  @ApiOkResponse({ type: ClientListResponseDto })
  @invalid()
  list(@Query() query: ListQueryDto): Promise<ClientListResponseDto> {
    return this.admin.listClients(query.limit, query.offset);
  }

  @Get(':id')
  @ApiOkResponse({ type: ClientResponseDto })
  @invalid()
  @unknownClient()
  get(@Param('id', clientId) id: number): Promise<ClientResponseDto> {
    return this.admin.getClient(id);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change limits, webhook URL, name, or deactivate (active: false)' })
  @ApiOkResponse({ type: ClientResponseDto })
  @invalid()
  @unknownClient()
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
  @ApiNoContentResponse({ description: 'Deleted' })
  @invalid()
  @unknownClient()
  @ApiUpstreamErrors()
  remove(@CurrentAdmin() admin: AdminAuth, @Param('id', clientId) id: number): Promise<void> {
    return this.admin.deleteClient(admin, id);
  }

  @Post(':id/rotate-key')
  @HttpCode(200)
  @ApiOperation({ summary: 'Issue a new API key; grace_seconds keeps the old one valid that long' })
  @ApiOkResponse({ type: RotatedKeyResponseDto })
  @invalid()
  @unknownClient()
  rotateKey(
    @CurrentAdmin() admin: AdminAuth,
    @Param('id', clientId) id: number,
    @Body() dto: RotateKeyDto,
  ): Promise<RotatedKeyResponseDto> {
    return this.admin.rotateKey(admin, id, dto.grace_seconds ?? 0);
  }
}
