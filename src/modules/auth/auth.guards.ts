import {
  applyDecorators,
  CanActivate,
  createParamDecorator,
  ExecutionContext,
  Injectable,
  SetMetadata,
  UseGuards,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  ApiBearerAuth,
  ApiForbiddenResponse,
  ApiSecurity,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { UnauthorizedError } from '@/common/errors/app-error';
import { ApiOtherErrors, ErrorResponseDto } from '@/common/errors/error-response.dto';
import { tagRequestLog } from '@/common/logging/request-log-context';
import { rateLimitHeaders, RequestRateLimitService } from '@/modules/limits/request-rate-limit.service';
import { AuthService } from './auth.service';
import { AdminAuth, ClientAuth } from './auth-context';
import { apiKeyHeader, bearerToken } from './request-credentials';

type AuthedRequest = FastifyRequest & { clientAuth?: ClientAuth; adminAuth?: AdminAuth };

const JWT_ONLY = 'nm:jwt-only';

/**
 * v1 routes: a client (or instance) `apikey` header, or a reseller JWT as `Authorization: Bearer`. Every
 * authenticated request then counts against the client's per-minute rate limit.
 */
@Injectable()
export class ClientAuthGuard implements CanActivate {
  constructor(
    private readonly auth: AuthService,
    private readonly reflector: Reflector,
    private readonly rateLimit: RequestRateLimitService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthedRequest>();
    const auth = await this.authenticate(context, request);
    request.clientAuth = auth;
    tagRequestLog(request, auth.clientId);
    const state = await this.rateLimit.consume(auth.clientId, auth.limits.rateLimit);
    void context.switchToHttp().getResponse<FastifyReply>().headers(rateLimitHeaders(state));
    return true;
  }

  private async authenticate(context: ExecutionContext, request: AuthedRequest): Promise<ClientAuth> {
    const jwtOnly =
      this.reflector.getAllAndOverride<boolean>(JWT_ONLY, [context.getHandler(), context.getClass()]) === true;
    const token = bearerToken(request.headers);
    if (token) return this.auth.authenticateResellerToken(token);
    if (jwtOnly) {
      throw new UnauthorizedError(
        'This route needs Authorization: Bearer <reseller token>; exchange your API key at POST /api/v1/auth/token',
        'RESELLER_TOKEN_REQUIRED',
      );
    }
    const key = apiKeyHeader(request.headers);
    if (!key) throw new UnauthorizedError();
    return this.auth.authenticateApiKey(key);
  }
}

/** Admin API: `Authorization: Bearer <admin token>` from POST /api/login. */
@Injectable()
export class AdminAuthGuard implements CanActivate {
  constructor(private readonly auth: AuthService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthedRequest>();
    const token = bearerToken(request.headers);
    if (!token)
      throw new UnauthorizedError('Missing credentials: send Authorization: Bearer <admin token> from POST /api/login');
    request.adminAuth = await this.auth.authenticateAdminToken(token);
    return true;
  }
}

/** Every client request also counts against the client's per-minute limit, checked by the guard. */
const clientErrors = [
  ApiUnauthorizedResponse({ type: ErrorResponseDto, description: 'No credentials, or an invalid or expired token' }),
  ApiForbiddenResponse({
    type: ErrorResponseDto,
    description: 'Unknown, revoked or expired API key (or the key behind the token), or a deactivated client',
  }),
  ApiOtherErrors(),
  ApiTooManyRequestsResponse({
    type: ErrorResponseDto,
    description: 'The client’s requests per minute are used up; see Retry-After',
  }),
];

/** API key or reseller JWT. */
export const ClientAuthenticated = () =>
  applyDecorators(UseGuards(ClientAuthGuard), ApiSecurity('apikey'), ApiBearerAuth('reseller-jwt'), ...clientErrors);

/** Reseller JWT only (the reference's sub-instance routes). */
export const ResellerJwtOnly = () =>
  applyDecorators(
    SetMetadata(JWT_ONLY, true),
    UseGuards(ClientAuthGuard),
    ApiBearerAuth('reseller-jwt'),
    ...clientErrors,
  );

export const AdminAuthenticated = () =>
  applyDecorators(
    UseGuards(AdminAuthGuard),
    ApiBearerAuth('admin-jwt'),
    ApiUnauthorizedResponse({ type: ErrorResponseDto, description: 'No admin token, or an invalid or expired one' }),
    ApiOtherErrors(),
  );

export const CurrentClient = createParamDecorator((_: unknown, context: ExecutionContext): ClientAuth => {
  const auth = context.switchToHttp().getRequest<AuthedRequest>().clientAuth;
  if (!auth) throw new Error('CurrentClient used on a route without ClientAuthGuard');
  return auth;
});

export const CurrentAdmin = createParamDecorator((_: unknown, context: ExecutionContext): AdminAuth => {
  const auth = context.switchToHttp().getRequest<AuthedRequest>().adminAuth;
  if (!auth) throw new Error('CurrentAdmin used on a route without AdminAuthGuard');
  return auth;
});
