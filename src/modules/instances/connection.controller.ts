import { Controller, Get, Param } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ClientAuthenticated, CurrentClient } from '@/modules/auth/auth.guards';
import { ClientAuth } from '@/modules/auth/auth-context';
import { QrCodeResponseDto, StatusResponseDto } from './dto/instance.dto';
import { InstanceConnectionService } from './instance-connection.service';
import { InstanceNamePipe } from './instance-name.pipe';

const instanceName = new InstanceNamePipe();

@ApiTags('Instances')
@ClientAuthenticated()
@Controller('api/v1/whatsapp')
export class ConnectionController {
  constructor(private readonly connection: InstanceConnectionService) {}

  @Get('qrcode/:instanceName')
  @ApiOperation({ summary: 'QR code to link the WhatsApp account, or the state when already connected' })
  @ApiOkResponse({ type: QrCodeResponseDto })
  @ApiNotFoundResponse()
  qrCode(
    @CurrentClient() auth: ClientAuth,
    @Param('instanceName', instanceName) name: string,
  ): Promise<QrCodeResponseDto> {
    return this.connection.qrCode(auth, name);
  }

  @Get('status/:instanceName')
  @ApiOperation({
    summary: 'Connection state: open, connecting, close or refused',
    description: '`restriction` says when WhatsApp has the number logged out, banned or refused (null otherwise).',
  })
  @ApiOkResponse({ type: StatusResponseDto })
  @ApiNotFoundResponse()
  status(
    @CurrentClient() auth: ClientAuth,
    @Param('instanceName', instanceName) name: string,
  ): Promise<StatusResponseDto> {
    return this.connection.status(auth, name);
  }
}
