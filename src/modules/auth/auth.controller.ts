import { Body, Controller, HttpCode, Ip, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiOkResponse,
  ApiOperation,
  ApiSecurity,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { ApiOtherErrors, ErrorResponseDto } from '@/common/errors/error-response.dto';
import { ClientAuthenticated, CurrentClient } from './auth.guards';
import { AuthService } from './auth.service';
import { ClientAuth } from './auth-context';
import { LoginDto, LoginResponseDto, ResellerTokenResponseDto } from './dto/login.dto';

@Controller('api')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Post('login')
  @HttpCode(200)
  @ApiTags('Admin')
  @ApiOperation({ summary: 'Admin login', description: 'Returns an admin JWT for the /api/admin routes.' })
  @ApiOkResponse({ type: LoginResponseDto })
  @ApiBadRequestResponse({ type: ErrorResponseDto, description: 'A missing or invalid field' })
  @ApiUnauthorizedResponse({ type: ErrorResponseDto, description: 'Wrong username or password' })
  @ApiTooManyRequestsResponse({
    type: ErrorResponseDto,
    description: 'Too many failed attempts for this username or address; see Retry-After',
  })
  @ApiOtherErrors()
  @ApiSecurity({})
  login(@Body() body: LoginDto, @Ip() address: string): Promise<LoginResponseDto> {
    return this.auth.login(body.username, body.password, address);
  }

  @Post('v1/auth/token')
  @HttpCode(200)
  @ApiTags('Auth')
  @ClientAuthenticated()
  @ApiOperation({ summary: 'Exchange a client API key for a 30-day reseller JWT' })
  @ApiOkResponse({ type: ResellerTokenResponseDto })
  token(@CurrentClient() client: ClientAuth): Promise<ResellerTokenResponseDto> {
    return this.auth.issueResellerToken(client);
  }
}
