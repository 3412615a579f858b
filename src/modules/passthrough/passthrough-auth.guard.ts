import {
  applyDecorators,
  CanActivate,
  Controller,
  createParamDecorator,
  ExecutionContext,
  Injectable,
  Param,
  UseGuards,
  UseInterceptors,
} from '@nestjs/common';
import {
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiSecurity,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { UnauthorizedError } from '@/common/errors/app-error';
import { ApiUpstreamDownResponse, ErrorResponseDto } from '@/common/errors/error-response.dto';
import { tagRequestLog } from '@/common/logging/request-log-context';
import { AuthService } from '@/modules/auth/auth.service';
import { ClientAuth } from '@/modules/auth/auth-context';
import { apiKeyHeader } from '@/modules/auth/request-credentials';
import { InstanceNamePipe } from '@/modules/instances/instance-name.pipe';
import { rateLimitHeaders, RequestRateLimitService } from '@/modules/limits/request-rate-limit.service';
import { UpstreamAnswerInterceptor } from './upstream-answer';

/**
 * Who calls a pass-through route: the operator's master key (every instance, acting for the instance's owner), or a
 * client or instance key (that tenant's instances, or that one instance).
 */
export type PassthroughCaller = { kind: 'master' } | { kind: 'tenant'; auth: ClientAuth };

type PassthroughRequest = FastifyRequest & { passthroughCaller?: PassthroughCaller; clientAuth?: ClientAuth };

export const PASSTHROUGH_TAG = 'Evolution API (pass-through)';

/**
 * The legacy Evolution API routes authenticate like the upstream: the `apikey` header only (no Bearer tokens). The
 * master key is checked first, in constant time; any other key is a client or instance key and counts against the
 * client's per-minute rate limit, as on v1.
 */
@Injectable()
export class PassthroughAuthGuard implements CanActivate {
  constructor(
    private readonly auth: AuthService,
    private readonly rateLimit: RequestRateLimitService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<PassthroughRequest>();
    const key = apiKeyHeader(request.headers);
    if (!key) throw new UnauthorizedError('Missing credentials: send your API key in the apikey header');
    if (this.auth.isMasterKey(key)) {
      request.passthroughCaller = { kind: 'master' };
      return true;
    }
    const auth = await this.auth.authenticateApiKey(key);
    request.passthroughCaller = { kind: 'tenant', auth };
    request.clientAuth = auth;
    tagRequestLog(request, auth.clientId);
    const state = await this.rateLimit.consume(auth.clientId, auth.limits.rateLimit);
    void context.switchToHttp().getResponse<FastifyReply>().headers(rateLimitHeaders(state));
    return true;
  }
}

/**
 * A pass-through controller under `path`: the apikey guard, the upstream's status on the reply, and the OpenAPI tag
 * and security shared by every legacy route.
 */
export const PassthroughController = (path: string) =>
  applyDecorators(
    Controller(path),
    ApiTags(PASSTHROUGH_TAG),
    UseGuards(PassthroughAuthGuard),
    UseInterceptors(UpstreamAnswerInterceptor),
    ApiSecurity('apikey'),
    ApiUnauthorizedResponse({ type: ErrorResponseDto, description: 'No apikey header' }),
    ApiForbiddenResponse({ type: ErrorResponseDto, description: 'Unknown, revoked or deactivated API key' }),
    ApiNotFoundResponse({ type: ErrorResponseDto, description: 'The instance does not exist, or is not the caller’s' }),
    ApiTooManyRequestsResponse({
      type: ErrorResponseDto,
      description: 'Rate limit, pacing slot too far away, or daily cap reached; see Retry-After',
    }),
    ApiUpstreamDownResponse(),
  );

/** The `:instanceName` path parameter, checked before any lookup (a malformed name is a 400). */
export const InstanceName = () => Param('instanceName', new InstanceNamePipe());

export const Caller = createParamDecorator((_: unknown, context: ExecutionContext): PassthroughCaller => {
  const caller = context.switchToHttp().getRequest<PassthroughRequest>().passthroughCaller;
  if (!caller) throw new Error('Caller used on a route without PassthroughAuthGuard');
  return caller;
});
