import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { ApiUpstreamErrors, ErrorResponseDto } from '@/common/errors/error-response.dto';
import { CurrentClient, ResellerJwtOnly } from '@/modules/auth/auth.guards';
import { ClientAuth } from '@/modules/auth/auth-context';
import { RotateKeyDto } from '@/modules/auth/dto/rotation.dto';
import {
  CreatedSubInstanceDto,
  CreateSubInstanceDto,
  InstanceDetailsResponseDto,
  InstanceListQueryDto,
  InstanceListResponseDto,
  RotatedInstanceKeyDto,
  RotatedWebhookSecretDto,
} from './dto/instance.dto';
import { InstanceCredentialsService } from './instance-credentials.service';
import { InstanceNamePipe } from './instance-name.pipe';
import { InstancesService } from './instances.service';

const instanceId = new InstanceNamePipe('id');
const invalid = (description = 'A missing or invalid field') =>
  ApiBadRequestResponse({ type: ErrorResponseDto, description });
const unknown = () =>
  ApiNotFoundResponse({ type: ErrorResponseDto, description: 'The instance does not exist, or is not the client’s' });

@ApiTags('Reseller')
@ResellerJwtOnly()
@Controller('api/v1/whatsapp/reseller/sub-instances')
export class ResellerController {
  constructor(
    private readonly instances: InstancesService,
    private readonly credentials: InstanceCredentialsService,
  ) {}

  @Post()
  @ApiOperation({ summary: 'Create a sub-instance (one WhatsApp number for a shop or branch)' })
  @ApiCreatedResponse({ type: CreatedSubInstanceDto })
  @invalid('A missing or invalid field, or a webhook_url the gateway may not call')
  @ApiConflictResponse({
    type: ErrorResponseDto,
    description: 'Name in use, or the client’s instance limit is reached',
  })
  @ApiUpstreamErrors()
  create(@CurrentClient() auth: ClientAuth, @Body() dto: CreateSubInstanceDto): Promise<CreatedSubInstanceDto> {
    return this.instances.create(auth.clientId, dto, { actorType: 'client', actorId: String(auth.clientId) });
  }

  @Get()
  @ApiOperation({ summary: 'List the client’s sub-instances with their stored status' })
  @ApiOkResponse({ type: InstanceListResponseDto })
  @invalid()
  list(@CurrentClient() auth: ClientAuth, @Query() query: InstanceListQueryDto): Promise<InstanceListResponseDto> {
    return this.instances.list(auth.clientId, query.limit, query.offset);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Sub-instance details and live connection state; :id is the instance_id or the name' })
  @ApiOkResponse({ type: InstanceDetailsResponseDto })
  @invalid('A malformed id or name')
  @unknown()
  @ApiUpstreamErrors()
  get(@CurrentClient() auth: ClientAuth, @Param('id', instanceId) id: string): Promise<InstanceDetailsResponseDto> {
    return this.instances.get(auth, id);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Log out and delete the sub-instance; its message logs stay' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @invalid('A malformed id or name')
  @unknown()
  @ApiUpstreamErrors()
  remove(@CurrentClient() auth: ClientAuth, @Param('id', instanceId) id: string): Promise<void> {
    return this.instances.remove(auth, id, { actorType: 'client', actorId: String(auth.clientId) });
  }

  @Post(':id/rotate-key')
  @HttpCode(200)
  @ApiOperation({ summary: 'Issue a new instance API key; grace_seconds keeps the old one valid that long' })
  @ApiOkResponse({ type: RotatedInstanceKeyDto })
  @invalid()
  @unknown()
  rotateKey(
    @CurrentClient() auth: ClientAuth,
    @Param('id', instanceId) id: string,
    @Body() dto: RotateKeyDto,
  ): Promise<RotatedInstanceKeyDto> {
    return this.credentials.rotateKey(auth, id, dto.grace_seconds ?? 0, {
      actorType: 'client',
      actorId: String(auth.clientId),
    });
  }

  @Post(':id/rotate-webhook-secret')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Issue a new webhook signing secret',
    description:
      'For grace_seconds, every delivery carries two signatures (new and previous secret), so receivers can switch without a gap.',
  })
  @ApiOkResponse({ type: RotatedWebhookSecretDto })
  @invalid()
  @unknown()
  rotateWebhookSecret(
    @CurrentClient() auth: ClientAuth,
    @Param('id', instanceId) id: string,
    @Body() dto: RotateKeyDto,
  ): Promise<RotatedWebhookSecretDto> {
    return this.credentials.rotateWebhookSecret(auth, id, dto.grace_seconds ?? 0, {
      actorType: 'client',
      actorId: String(auth.clientId),
    });
  }
}
