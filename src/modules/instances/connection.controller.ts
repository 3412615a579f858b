import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiUpstreamErrors, ErrorResponseDto } from '@/common/errors/error-response.dto';
import { ClientAuthenticated, CurrentClient } from '@/modules/auth/auth.guards';
import { ClientAuth } from '@/modules/auth/auth-context';
import { QrCodeQueryDto, QrCodeResponseDto, StateResponseDto, StatusResponseDto } from './dto/instance.dto';
import { InstanceConnectionService } from './instance-connection.service';
import { InstanceNamePipe } from './instance-name.pipe';

const instanceName = new InstanceNamePipe();
const badName = () => ApiBadRequestResponse({ type: ErrorResponseDto, description: 'A malformed instance name' });
const unknown = () =>
  ApiNotFoundResponse({ type: ErrorResponseDto, description: 'The instance does not exist, or is not the caller’s' });

@ApiTags('Instances')
@ClientAuthenticated()
@ApiUpstreamErrors()
@Controller('api/v1/whatsapp')
export class ConnectionController {
  constructor(private readonly connection: InstanceConnectionService) {}

  @Get('qrcode/:instanceName')
  @ApiOperation({
    summary: 'QR code to link the WhatsApp account, or the state when already connected',
    description:
      'With `?number=`, the connection this request begins links that phone by pairing code instead, answered as ' +
      '`pairing_code`. The WhatsApp server takes the number only when a connection begins: while one begun without ' +
      'this number still runs, `pairing_code` is null (log the instance out, or wait for that connection to end).',
  })
  @ApiOkResponse({ type: QrCodeResponseDto })
  @ApiBadRequestResponse({
    type: ErrorResponseDto,
    description: 'A malformed instance name, or a `number` that is not a phone number',
  })
  @unknown()
  qrCode(
    @CurrentClient() auth: ClientAuth,
    @Param('instanceName', instanceName) name: string,
    @Query() query: QrCodeQueryDto,
  ): Promise<QrCodeResponseDto> {
    return this.connection.qrCode(auth, name, query.number);
  }

  @Get('status/:instanceName')
  @ApiOperation({
    summary: 'Connection state: open, connecting, close or refused',
    description: '`restriction` says when WhatsApp has the number logged out, banned or refused (null otherwise).',
  })
  @ApiOkResponse({ type: StatusResponseDto })
  @badName()
  @unknown()
  status(
    @CurrentClient() auth: ClientAuth,
    @Param('instanceName', instanceName) name: string,
  ): Promise<StatusResponseDto> {
    return this.connection.status(auth, name);
  }

  @Post('instances/:instanceName/restart')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Restart the WhatsApp session; answers the state afterwards',
    description:
      'The WhatsApp server reconnects the instance (it may then show a new QR code). It cannot restart an instance ' +
      'that is not connected or connecting: that is a 502; ask for a QR code instead.',
  })
  @ApiOkResponse({ type: StateResponseDto })
  @badName()
  @unknown()
  restart(
    @CurrentClient() auth: ClientAuth,
    @Param('instanceName', instanceName) name: string,
  ): Promise<StateResponseDto> {
    return this.connection.restart(auth, name);
  }

  @Post('instances/:instanceName/logout')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Log the WhatsApp account out (removes the session); answers the state afterwards',
    description: 'The instance stays; link it again with a new QR code.',
  })
  @ApiOkResponse({ type: StateResponseDto })
  @ApiBadRequestResponse({
    type: ErrorResponseDto,
    description: 'A malformed instance name, or an instance that is not connected',
  })
  @unknown()
  logout(
    @CurrentClient() auth: ClientAuth,
    @Param('instanceName', instanceName) name: string,
  ): Promise<StateResponseDto> {
    return this.connection.logout(auth, name);
  }
}
