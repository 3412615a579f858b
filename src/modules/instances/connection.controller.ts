import { Controller, Get, Param } from '@nestjs/common';
import { ApiBadRequestResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiUpstreamErrors, ErrorResponseDto } from '@/common/errors/error-response.dto';
import { ClientAuthenticated, CurrentClient } from '@/modules/auth/auth.guards';
import { ClientAuth } from '@/modules/auth/auth-context';
import { QrCodeResponseDto, StateResponseDto } from './dto/instance.dto';
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
  @ApiOperation({ summary: 'QR code to link the WhatsApp account, or the state when already connected' })
  @ApiOkResponse({ type: QrCodeResponseDto })
  @badName()
  @unknown()
  qrCode(
    @CurrentClient() auth: ClientAuth,
    @Param('instanceName', instanceName) name: string,
  ): Promise<QrCodeResponseDto> {
    return this.connection.qrCode(auth, name);
  }

  @Get('status/:instanceName')
  @ApiOperation({ summary: 'Connection state: open, connecting, close or refused' })
  @ApiOkResponse({ type: StateResponseDto })
  @badName()
  @unknown()
  status(
    @CurrentClient() auth: ClientAuth,
    @Param('instanceName', instanceName) name: string,
  ): Promise<StateResponseDto> {
    return this.connection.status(auth, name);
  }
}
