import { Injectable } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { AppError, UnauthorizedError } from '@/common/errors/app-error';
import { AuthService } from '@/modules/auth/auth.service';
import { ClientAuth } from '@/modules/auth/auth-context';
import { apiKeyHeader, bearerToken } from '@/modules/auth/request-credentials';
import { instanceNotFound } from '@/modules/instances/instance-access';
import { InstancesService } from '@/modules/instances/instances.service';
import { RequestRateLimitService } from '@/modules/limits/request-rate-limit.service';
import { Subscription } from './live-sockets';

/** What a socket authenticated with, kept to check it again while the socket is open. */
export type SocketCredential =
  | { kind: 'api-key'; key: string }
  | { kind: 'master-key' }
  | { kind: 'reseller-jwt'; token: string }
  | { kind: 'admin-jwt'; token: string };

export interface SocketGrant {
  credential: SocketCredential;
  subscription: Subscription;
}

/** The `typ` claim of a JWT, read before verifying it only to pick the check that then verifies it. */
function jwtType(token: string): unknown {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    return (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { typ?: unknown }).typ;
  } catch {
    return undefined;
  }
}

/**
 * A refused handshake is an authentication failure, so every credential the upgrade refuses answers 401, where the
 * HTTP API answers 403 for an unknown, revoked or expired key and a deactivated client: a client's reaction is the
 * same for all of them (fix the credential before connecting again). The code and message stay the HTTP API's.
 */
function asAuthenticationFailure(err: unknown): unknown {
  return err instanceof AppError && err.status === 403 ? new UnauthorizedError(err.message, err.code) : err;
}

/**
 * Authenticates a `/ws` upgrade the way the HTTP API authenticates a request, with the same services and caches:
 * `Authorization: Bearer` (a reseller or an admin JWT) first, as the v1 guard does, then the `apikey` header (a client,
 * instance or master key); browsers, which cannot set headers on a WebSocket, send a JWT as `?access_token=`.
 */
@Injectable()
export class SocketAuthService {
  constructor(
    private readonly auth: AuthService,
    private readonly instances: InstancesService,
    private readonly rateLimit: RequestRateLimitService,
  ) {}

  /** The socket's credential and what it may see, or the AppError the upgrade is refused with. */
  async authenticate(request: IncomingMessage): Promise<SocketGrant> {
    const query = new URL(request.url ?? '/', 'http://gateway').searchParams;
    const credential = this.credentialOf(request, query);
    if (!credential) throw new UnauthorizedError();
    const tenant = await this.tenantOf(credential).catch((err: unknown) => {
      throw asAuthenticationFailure(err);
    });
    // An upgrade counts against the client's per-minute limit like a request, so a reconnect loop is held back.
    if (tenant) await this.rateLimit.consume(tenant.clientId, tenant.limits.rateLimit);
    const subscription: Subscription = { clientId: tenant?.clientId ?? null, instanceId: tenant?.instanceId ?? null };
    const name = query.get('instance');
    if (name !== null) subscription.instanceId = await this.narrowTo(tenant, name);
    return { credential, subscription };
  }

  /**
   * Checks a credential again, through the cached lookups every request uses; throws the AppError that now refuses
   * it (revoked or rotated key, deactivated or deleted client, expired token).
   */
  async recheck(credential: SocketCredential): Promise<void> {
    await this.tenantOf(credential);
  }

  /** The tenant a credential acts for; null for an operator (admin JWT or master key). */
  private async tenantOf(credential: SocketCredential): Promise<ClientAuth | null> {
    switch (credential.kind) {
      case 'master-key':
        return null;
      case 'admin-jwt':
        await this.auth.authenticateAdminToken(credential.token);
        return null;
      case 'reseller-jwt':
        return this.auth.authenticateResellerToken(credential.token);
      case 'api-key':
        return this.auth.authenticateApiKey(credential.key);
    }
  }

  private credentialOf(request: IncomingMessage, query: URLSearchParams): SocketCredential | null {
    const bearer = bearerToken(request.headers) ?? query.get('access_token');
    if (bearer) return { kind: jwtType(bearer) === 'admin' ? 'admin-jwt' : 'reseller-jwt', token: bearer };
    const key = apiKeyHeader(request.headers);
    if (!key) return null;
    return this.auth.isMasterKey(key) ? { kind: 'master-key' } : { kind: 'api-key', key };
  }

  /** `?instance=<name>`: one of the caller's live instances (any, for an operator), or 404 as on HTTP. */
  private async narrowTo(tenant: ClientAuth | null, name: string): Promise<string> {
    if (tenant) return (await this.instances.resolve(tenant, name)).id;
    const instance = await this.instances.findLiveByNameForSystem(name);
    if (!instance) throw instanceNotFound(name);
    return instance.id;
  }
}
