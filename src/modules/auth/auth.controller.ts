import { Body, Controller, HttpCode, Ip, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
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
import { LoginDto, LoginResponseDto, ResellerTokenRequestDto, ResellerTokenResponseDto } from './dto/login.dto';

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
  @ApiOperation({
    summary: 'Exchange a client API key for a reseller JWT (30 days by default)',
    description:
      'No body, or `{"expires_in": <seconds>}` (300 to 2592000) for a shorter-lived token; `expires_in` in the ' +
      'answer is the lifetime the token got.',
  })
  @ApiBody({ type: ResellerTokenRequestDto, required: false })
  @ApiOkResponse({ type: ResellerTokenResponseDto })
  @ApiBadRequestResponse({
    type: ErrorResponseDto,
    description: '`expires_in` is not a whole number from 300 to 2592000',
  })
  token(@CurrentClient() client: ClientAuth, @Body() body: ResellerTokenRequestDto): Promise<ResellerTokenResponseDto> {
    // null, as an absent field, asks for the default.
    return this.auth.issueResellerToken(client, body.expires_in ?? undefined);
  }
}
