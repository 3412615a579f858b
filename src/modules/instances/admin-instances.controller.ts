import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { ApiUpstreamErrors, ErrorResponseDto } from '@/common/errors/error-response.dto';
import { AdminAuthenticated, CurrentAdmin } from '@/modules/auth/auth.guards';
import { AdminAuth } from '@/modules/auth/auth-context';
import { RotateKeyDto } from '@/modules/auth/dto/rotation.dto';
import {
  AdminCreateInstanceDto,
  CreatedSubInstanceDto,
  InstanceListQueryDto,
  OperatorInstanceListResponseDto,
  RotatedInstanceKeyDto,
  RotatedWebhookSecretDto,
} from './dto/instance.dto';
import { InstanceCredentialsService } from './instance-credentials.service';
import { InstanceNamePipe } from './instance-name.pipe';
import { InstancesService } from './instances.service';

const instanceId = new InstanceNamePipe('id');
const invalid = (description = 'A missing or invalid field') =>
  ApiBadRequestResponse({ type: ErrorResponseDto, description });
const unknown = () => ApiNotFoundResponse({ type: ErrorResponseDto, description: 'No live instance with this id' });

@ApiTags('Admin')
@AdminAuthenticated()
@Controller('api/admin/instances')
export class AdminInstancesController {
  constructor(
    private readonly instances: InstancesService,
    private readonly credentials: InstanceCredentialsService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Every instance with its client, its upstream and stored status' })
  @ApiOkResponse({ type: OperatorInstanceListResponseDto })
  @invalid()
  list(@Query() query: InstanceListQueryDto): Promise<OperatorInstanceListResponseDto> {
    return this.instances.listForOperator(
      { clientId: query.client_id, upstreamId: query.upstream_id },
      query.limit,
      query.offset,
    );
  }

  @Post()
  @ApiOperation({ summary: 'Create an instance for a client' })
  @ApiCreatedResponse({ type: CreatedSubInstanceDto })
  @invalid('A missing or invalid field, or a webhook_url the gateway may not call')
  @ApiNotFoundResponse({ type: ErrorResponseDto, description: 'No such client' })
  @ApiConflictResponse({
    type: ErrorResponseDto,
    description: 'Name in use, or the client’s instance limit is reached',
  })
  @ApiUpstreamErrors()
  create(@CurrentAdmin() admin: AdminAuth, @Body() dto: AdminCreateInstanceDto): Promise<CreatedSubInstanceDto> {
    return this.instances.create(dto.client_id, dto, { actorType: 'admin', actorId: String(admin.adminId) });
  }

  @Post(':id/rotate-key')
  @HttpCode(200)
  @ApiOperation({ summary: 'Issue a new instance API key; grace_seconds keeps the old one valid that long' })
  @ApiOkResponse({ type: RotatedInstanceKeyDto })
  @invalid()
  @unknown()
  rotateKey(
    @CurrentAdmin() admin: AdminAuth,
    @Param('id', instanceId) id: string,
    @Body() dto: RotateKeyDto,
  ): Promise<RotatedInstanceKeyDto> {
    return this.credentials.rotateKeyForOperator(id, dto.grace_seconds ?? 0, {
      actorType: 'admin',
      actorId: String(admin.adminId),
    });
  }

  @Post(':id/rotate-webhook-secret')
  @HttpCode(200)
  @ApiOperation({ summary: 'Issue a new webhook signing secret; grace_seconds keeps signing with the old one too' })
  @ApiOkResponse({ type: RotatedWebhookSecretDto })
  @invalid()
  @unknown()
  rotateWebhookSecret(
    @CurrentAdmin() admin: AdminAuth,
    @Param('id', instanceId) id: string,
    @Body() dto: RotateKeyDto,
  ): Promise<RotatedWebhookSecretDto> {
    return this.credentials.rotateWebhookSecretForOperator(id, dto.grace_seconds ?? 0, {
      actorType: 'admin',
      actorId: String(admin.adminId),
    });
  }
}
