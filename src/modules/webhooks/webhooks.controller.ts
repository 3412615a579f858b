import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Put, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { ValidationError } from '@/common/errors/app-error';
import { ErrorResponseDto } from '@/common/errors/error-response.dto';
import { ClientAuthenticated, CurrentClient } from '@/modules/auth/auth.guards';
import { ClientAuth } from '@/modules/auth/auth-context';
import { InstanceNamePipe } from '@/modules/instances/instance-name.pipe';
import {
  DeliveriesQueryDto,
  DeliveryListResponseDto,
  RedeliverDeadDto,
  RedeliveredDeadResponseDto,
  RedeliveryResponseDto,
} from './dto/deliveries.dto';
import { SetWebhookDto, WebhookConfigDto } from './dto/webhook-config.dto';
import { WebhookConfigService } from './webhook-config.service';
import { WebhookLogService } from './webhook-log.service';

const instanceName = new InstanceNamePipe();
const deliveryId = new ParseUUIDPipe({ exceptionFactory: () => new ValidationError('id: must be a delivery id') });
const invalid = (description = 'A missing or invalid field') =>
  ApiBadRequestResponse({ type: ErrorResponseDto, description });
const unknownInstance = () =>
  ApiNotFoundResponse({ type: ErrorResponseDto, description: 'The instance does not exist, or is not the caller’s' });

@ApiTags('Webhooks')
@ClientAuthenticated()
@Controller('api/v1/whatsapp')
export class WebhooksController {
  constructor(
    private readonly configs: WebhookConfigService,
    private readonly log: WebhookLogService,
  ) {}

  @Put('webhook/:instanceName')
  @ApiOperation({
    summary: 'Set where this instance’s events go',
    description:
      'Deliveries are signed (Standard Webhooks) with the instance’s webhook_secret and retried for about a day.',
  })
  @ApiOkResponse({ type: WebhookConfigDto })
  @invalid('A missing or invalid field, or a URL the gateway may not call')
  @unknownInstance()
  set(
    @CurrentClient() auth: ClientAuth,
    @Param('instanceName', instanceName) name: string,
    @Body() dto: SetWebhookDto,
  ): Promise<WebhookConfigDto> {
    return this.configs.set(auth, name, dto);
  }

  @Get('webhook/:instanceName')
  @ApiOkResponse({ type: WebhookConfigDto })
  @invalid('A malformed instance name')
  @unknownInstance()
  get(@CurrentClient() auth: ClientAuth, @Param('instanceName', instanceName) name: string): Promise<WebhookConfigDto> {
    return this.configs.get(auth, name);
  }

  @Get('webhooks/deliveries')
  @ApiOperation({ summary: 'Delivery log: attempts, last status code and error, next attempt' })
  @ApiOkResponse({ type: DeliveryListResponseDto })
  @invalid('An invalid filter or `before`')
  deliveries(@CurrentClient() auth: ClientAuth, @Query() query: DeliveriesQueryDto): Promise<DeliveryListResponseDto> {
    return this.log.list(auth, query);
  }

  @Post('webhooks/deliveries/:id/redeliver')
  @HttpCode(202)
  @ApiOperation({ summary: 'Deliver one event again, from the first attempt' })
  @ApiAcceptedResponse({ type: RedeliveryResponseDto })
  @invalid('A malformed delivery id')
  @ApiNotFoundResponse({ type: ErrorResponseDto, description: 'No such delivery of the caller’s' })
  redeliver(@CurrentClient() auth: ClientAuth, @Param('id', deliveryId) id: string): Promise<RedeliveryResponseDto> {
    return this.log.redeliver(auth, id);
  }

  @Post('webhooks/deliveries/redeliver')
  @HttpCode(202)
  @ApiOperation({ summary: 'Deliver again every dead delivery since a time' })
  @ApiAcceptedResponse({ type: RedeliveredDeadResponseDto })
  @invalid()
  redeliverDead(@CurrentClient() auth: ClientAuth, @Body() dto: RedeliverDeadDto): Promise<RedeliveredDeadResponseDto> {
    return this.log.redeliverDead(auth, dto.since, dto.instance);
  }
}
