import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { createHash, timingSafeEqual } from 'node:crypto';
import { hashApiKey, sameHash } from '@/common/crypto/api-keys';
import { hashPassword, verifyPassword } from '@/common/crypto/password';
import { ForbiddenError, NotFoundError, UnauthorizedError } from '@/common/errors/app-error';
import { AppConfig } from '@/config/app-config';
import { AuditService } from '@/modules/audit/audit.service';
import { AdminUserRepository } from './admin-user.repository';
import { ApiKeyRepository, KeyForAuth } from './api-key.repository';
import {
  ADMIN_TOKEN_TTL_SECONDS,
  AdminAuth,
  AdminClaims,
  ClientAuth,
  limitsOf,
  RESELLER_TOKEN_TTL_SECONDS,
  ResellerClaims,
} from './auth-context';
import { LoginThrottleService } from './login-throttle.service';

/** HS256 only: a token signed with another algorithm, or with `none`, is refused. */
const JWT_ALGORITHMS: ['HS256'] = ['HS256'];

@Injectable()
export class AuthService implements OnApplicationBootstrap {
  private readonly logger = new Logger(AuthService.name);

  constructor(
    private readonly config: AppConfig,
    private readonly jwt: JwtService,
    private readonly admins: AdminUserRepository,
    private readonly apiKeys: ApiKeyRepository,
    private readonly throttle: LoginThrottleService,
    private readonly audit: AuditService,
  ) {}

  /** The first admin comes from ADMIN_USERNAME / ADMIN_PASSWORD; an existing admin keeps its password. */
  async onApplicationBootstrap(): Promise<void> {
    const username = this.config.get('ADMIN_USERNAME');
    const created = await this.admins.createIfMissing(username, await hashPassword(this.config.get('ADMIN_PASSWORD')));
    if (created) this.logger.log({ username }, 'Created the first admin user');
  }

  async login(username: string, password: string, address: string): Promise<{ token: string }> {
    await this.throttle.attempt(username, address);
    const admin = await this.admins.findByUsername(username);
    // Hash even for unknown users so response time does not reveal which usernames exist.
    const valid = await verifyPassword(password, admin?.passwordHash ?? DUMMY_HASH);
    if (!admin || !valid) throw new UnauthorizedError('Invalid username or password', 'INVALID_CREDENTIALS');
    await this.throttle.succeeded(username, address);
    await this.admins.markLogin(admin.id);
    const claims: AdminClaims = { typ: 'admin', sub: String(admin.id), username: admin.username };
    const token = await this.jwt.signAsync(claims, { algorithm: 'HS256', expiresIn: ADMIN_TOKEN_TTL_SECONDS });
    await this.audit.record({
      actorType: 'admin',
      actorId: String(admin.id),
      action: 'admin.login',
      targetType: 'admin',
      targetId: String(admin.id),
    });
    return { token };
  }

  /** Exchanges a client API key for a reseller JWT (30 days unless asked for less). Instance keys cannot mint tokens. */
  async issueResellerToken(
    auth: ClientAuth,
    expiresIn = RESELLER_TOKEN_TTL_SECONDS,
  ): Promise<{ token: string; expires_in: number; client_id: number }> {
    if (auth.via !== 'client-key') {
      throw new ForbiddenError('Only a client API key can be exchanged for a reseller token', 'CLIENT_KEY_REQUIRED');
    }
    const claims: ResellerClaims = {
      typ: 'reseller',
      sub: String(auth.clientId),
      client_id: auth.clientId,
      kid: auth.keyId,
    };
    const token = await this.jwt.signAsync(claims, { algorithm: 'HS256', expiresIn });
    return { token, expires_in: expiresIn, client_id: auth.clientId };
  }

  /** Resolves an `apikey` header: unknown, revoked, expired or deactivated → 403 (the reference's error table). */
  async authenticateApiKey(key: string): Promise<ClientAuth> {
    const hash = hashApiKey(key);
    const row = await this.apiKeys.findByHash(hash);
    if (!row || !sameHash(row.keyHash, hash)) throw new ForbiddenError('API key is not valid', 'INVALID_API_KEY');
    const client = this.assertKeyUsable(row);
    const limits = limitsOf(client);
    return row.kind === 'instance' && row.instanceId
      ? { clientId: row.clientId, via: 'instance-key', instanceId: row.instanceId, keyId: row.id, limits }
      : { clientId: row.clientId, via: 'client-key', keyId: row.id, limits };
  }

  /**
   * Whether `key` is the operator's MASTER_API_KEY (never, when it is unset). Both sides are hashed first so the
   * constant-time comparison does not depend on, or reveal, the key's length.
   */
  isMasterKey(key: string): boolean {
    const master = this.config.get('MASTER_API_KEY');
    if (!master) return false;
    const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
    return timingSafeEqual(digest(key), digest(master));
  }

  /**
   * The operator's master key acting for one client: that client's limits (pacing and daily caps still apply), no
   * key of its own (`keyId` 0). A deleted client is unknown; a deactivated one is still reachable by the operator.
   */
  async actAsClient(clientId: number): Promise<ClientAuth> {
    const client = await this.apiKeys.findLiveClientForSystem(clientId);
    if (!client) throw new NotFoundError(`Client ${clientId} does not exist`, 'CLIENT_NOT_FOUND');
    return { clientId: client.id, via: 'master-key', keyId: 0, limits: limitsOf(client) };
  }

  /** Verifies a reseller JWT (HS256, not expired, typ reseller), that the key that minted it still works, and its client. */
  async authenticateResellerToken(token: string): Promise<ClientAuth> {
    const claims = await this.verify<ResellerClaims>(token);
    if (claims.typ !== 'reseller' || !Number.isInteger(claims.client_id) || !Number.isInteger(claims.kid)) {
      throw new UnauthorizedError('Bearer token is not a reseller token', 'INVALID_TOKEN');
    }
    const key = await this.apiKeys.findByIdWithClient(claims.kid);
    if (!key || key.clientId !== claims.client_id || key.kind !== 'client') {
      throw new UnauthorizedError('Bearer token is not valid', 'INVALID_TOKEN');
    }
    const client = this.assertKeyUsable(key);
    return { clientId: claims.client_id, via: 'reseller-jwt', keyId: key.id, limits: limitsOf(client) };
  }

  async authenticateAdminToken(token: string): Promise<AdminAuth> {
    const claims = await this.verify<AdminClaims>(token);
    if (claims.typ !== 'admin') throw new UnauthorizedError('Bearer token is not an admin token', 'INVALID_TOKEN');
    const admin = await this.admins.findById(Number(claims.sub));
    if (!admin) throw new UnauthorizedError('Admin user no longer exists', 'INVALID_TOKEN');
    return { adminId: admin.id, username: admin.username };
  }

  private async verify<T extends object>(token: string): Promise<T> {
    try {
      return await this.jwt.verifyAsync<T>(token, { algorithms: JWT_ALGORITHMS });
    } catch (err) {
      const expired = err instanceof Error && err.name === 'TokenExpiredError';
      throw new UnauthorizedError(
        expired ? 'Bearer token has expired' : 'Bearer token is not valid',
        expired ? 'TOKEN_EXPIRED' : 'INVALID_TOKEN',
      );
    }
  }

  /** Unknown, revoked, expired or deactivated → 403 (the reference's error table); otherwise the key's client. */
  private assertKeyUsable(key: KeyForAuth): KeyForAuth['client'] {
    if (key.revokedAt || (key.expiresAt && key.expiresAt <= new Date())) {
      throw new ForbiddenError('API key has been revoked or has expired', 'API_KEY_REVOKED');
    }
    if (key.client.deletedAt) throw new ForbiddenError('API key is not valid', 'INVALID_API_KEY');
    if (!key.client.active)
      throw new ForbiddenError('Client account is deactivated; contact support', 'CLIENT_DEACTIVATED');
    return key.client;
  }
}

/** A valid hash of a random password, verified against when the username does not exist. */
const DUMMY_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
