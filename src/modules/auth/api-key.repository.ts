import { Injectable } from '@nestjs/common';
import { PrismaService } from '@/database/prisma.service';
import { rowMapper } from '@/database/row-mapping';
import { TenantReadCache } from '@/database/tenant-read-cache';
import { ApiKey, Client, Prisma } from '@/generated/prisma/client';
import { ClientLimits } from './auth-context';

/** What authenticating a key needs: the key's state and its client's state and limits. */
export type KeyForAuth = Pick<
  ApiKey,
  'id' | 'clientId' | 'instanceId' | 'kind' | 'keyHash' | 'expiresAt' | 'revokedAt'
> & {
  client: Pick<Client, 'active' | 'deletedAt'> & ClientLimits;
};

/**
 * Retires the live keys in `scope` (not revoked, not past an earlier grace period) for a rotation: they expire at
 * `expireAt`, or are revoked now when there is no grace. A grace only ever shortens a key's life: an earlier
 * rotation's shorter grace stands. Runs inside the rotation's transaction, beside the new key's insert.
 */
export async function retireLiveKeys(
  tx: Prisma.TransactionClient,
  scope: Prisma.ApiKeyWhereInput,
  now: Date,
  expireAt: Date | null,
): Promise<void> {
  const live: Prisma.ApiKeyWhereInput = {
    revokedAt: null,
    OR: [{ expiresAt: null }, { expiresAt: { gt: expireAt ?? now } }],
  };
  if (expireAt) await tx.apiKey.updateMany({ where: { ...scope, ...live }, data: { expiresAt: expireAt } });
  else await tx.apiKey.updateMany({ where: { ...scope, ...live }, data: { revokedAt: now } });
}

/** The key and its client's state and limits, as the authentication query selects them (one flat row). */
const keyForAuthRow = rowMapper<Omit<KeyForAuth, 'client'> & KeyForAuth['client']>('api_keys', {
  id: 'number',
  clientId: 'number',
  instanceId: 'string?',
  kind: 'string',
  keyHash: 'string',
  expiresAt: 'date?',
  revokedAt: 'date?',
  active: 'boolean',
  deletedAt: 'date?',
  rateLimit: 'number',
  dailyCap: 'number',
  sendIntervalMs: 'number',
  jitterMinMs: 'number',
  jitterMaxMs: 'number',
  strictContentGuard: 'boolean',
  pacingOverride: 'boolean',
});

@Injectable()
export class ApiKeyRepository {
  constructor(
    private readonly prisma: PrismaService,
    private readonly cache: TenantReadCache,
  ) {}

  /** The key row for a hash, with its client; the caller decides whether it is usable. Runs on every request. */
  findByHash(keyHash: string): Promise<KeyForAuth | null> {
    return this.cache.read(`key-hash:${keyHash}`, () => this.findForAuth('k.key_hash = $1', keyHash));
  }

  findByIdWithClient(id: number): Promise<KeyForAuth | null> {
    return this.cache.read(`key-id:${id}`, () => this.findForAuth('k.id = $1', id));
  }

  /** A client that is not deleted, for the operator's master key acting on its behalf. */
  findLiveClientForSystem(id: number): Promise<Client | null> {
    return this.prisma.client.findFirst({ where: { id, deletedAt: null } });
  }

  private async findForAuth(
    condition: 'k.key_hash = $1' | 'k.id = $1',
    value: string | number,
  ): Promise<KeyForAuth | null> {
    const [row] = await this.prisma.rows<Record<string, unknown>>(
      `
      SELECT k.id, k.client_id, k.instance_id, k.kind::text AS kind, k.key_hash, k.expires_at, k.revoked_at,
             c.active, c.deleted_at, c.rate_limit, c.daily_cap, c.send_interval_ms, c.jitter_min_ms, c.jitter_max_ms,
             c.strict_content_guard, c.pacing_override
      FROM api_keys k JOIN clients c ON c.id = k.client_id
      WHERE ${condition}`,
      [value],
    );
    if (!row) return null;
    const { id, clientId, instanceId, kind, keyHash, expiresAt, revokedAt, ...client } = keyForAuthRow(row);
    return { id, clientId, instanceId, kind, keyHash, expiresAt, revokedAt, client };
  }
}
