import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminAuthenticated, CurrentAdmin } from '@/modules/auth/auth.guards';
import { AdminAuth } from '@/modules/auth/auth-context';
import { RotateKeyDto } from '@/modules/auth/dto/rotation.dto';
import {
  AdminCreateInstanceDto,
  CreatedSubInstanceDto,
  InstanceListQueryDto,
  RotatedInstanceKeyDto,
  RotatedWebhookSecretDto,
} from './dto/instance.dto';
import { InstanceCredentialsService } from './instance-credentials.service';
import { InstanceNamePipe } from './instance-name.pipe';
import { InstancesService } from './instances.service';

const instanceId = new InstanceNamePipe('id');

@ApiTags('Admin')
@AdminAuthenticated()
@Controller('api/admin/instances')
export class AdminInstancesController {
  constructor(
    private readonly instances: InstancesService,
    private readonly credentials: InstanceCredentialsService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Every instance with its client and stored status' })
  list(@Query() query: InstanceListQueryDto) {
    return this.instances.listForOperator(query.client_id, query.limit, query.offset);
  }

  @Post()
  @ApiOperation({ summary: 'Create an instance for a client' })
  @ApiCreatedResponse({ type: CreatedSubInstanceDto })
  create(@CurrentAdmin() admin: AdminAuth, @Body() dto: AdminCreateInstanceDto): Promise<CreatedSubInstanceDto> {
    return this.instances.create(dto.client_id, dto, { actorType: 'admin', actorId: String(admin.adminId) });
  }

  @Post(':id/rotate-key')
  @HttpCode(200)
  @ApiOperation({ summary: 'Issue a new instance API key; grace_seconds keeps the old one valid that long' })
  @ApiOkResponse({ type: RotatedInstanceKeyDto })
  @ApiNotFoundResponse()
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
  @ApiNotFoundResponse()
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
