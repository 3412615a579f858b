import { Injectable } from '@nestjs/common';
import { IssuedKey } from '@/common/crypto/api-keys';
import { PrismaService } from '@/database/prisma.service';
import { TenantReadCache } from '@/database/tenant-read-cache';
import { Client, Prisma } from '@/generated/prisma/client';
import { retireLiveKeys } from '@/modules/auth/api-key.repository';

export type ClientWithKey = Client & { currentKeyPrefix: string | null };

export type ClientSettings = Partial<
  Pick<
    Client,
    | 'name'
    | 'active'
    | 'rateLimit'
    | 'dailyCap'
    | 'maxInstances'
    | 'webhookUrl'
    | 'sendIntervalMs'
    | 'pacingOverride'
    | 'jitterMinMs'
    | 'jitterMaxMs'
    | 'optOutKeywords'
    | 'optInKeywords'
  >
>;

const WITH_CURRENT_KEY = {
  apiKeys: {
    where: { kind: 'client', revokedAt: null, expiresAt: null },
    orderBy: { id: 'desc' },
    take: 1,
    select: { prefix: true },
  },
} satisfies Prisma.ClientInclude;

function withKey(row: Client & { apiKeys: { prefix: string }[] }): ClientWithKey {
  const { apiKeys, ...client } = row;
  return { ...client, currentKeyPrefix: apiKeys[0]?.prefix ?? null };
}

/** The operator's view of tenants. Deleted clients are invisible to every method. */
@Injectable()
export class ClientRepository {
  constructor(
    private readonly prisma: PrismaService,
    private readonly cache: TenantReadCache,
  ) {}

  async createWithKey(settings: ClientSettings & { name: string }, key: IssuedKey): Promise<ClientWithKey> {
    const row = await this.prisma.client.create({
      data: { ...settings, apiKeys: { create: { kind: 'client', keyHash: key.hash, prefix: key.prefix } } },
      include: WITH_CURRENT_KEY,
    });
    return withKey(row);
  }

  async list(limit: number, offset: number): Promise<{ rows: ClientWithKey[]; total: number }> {
    const where = { deletedAt: null };
    const [rows, total] = await this.prisma.$transaction([
      this.prisma.client.findMany({
        where,
        orderBy: { id: 'asc' },
        take: limit,
        skip: offset,
        include: WITH_CURRENT_KEY,
      }),
      this.prisma.client.count({ where }),
    ]);
    return { rows: rows.map(withKey), total };
  }

  async findById(clientId: number): Promise<ClientWithKey | null> {
    const row = await this.prisma.client.findFirst({
      where: { id: clientId, deletedAt: null },
      include: WITH_CURRENT_KEY,
    });
    return row ? withKey(row) : null;
  }

  /** Updates a live client; null when it does not exist or was deleted. */
  async update(clientId: number, settings: ClientSettings): Promise<ClientWithKey | null> {
    const { count } = await this.cache.written(
      this.prisma.client.updateMany({ where: { id: clientId, deletedAt: null }, data: settings }),
    );
    return count === 1 ? this.findById(clientId) : null;
  }

  /** Soft delete: the row stays for logs and audit, every key stops working. */
  async softDelete(clientId: number, now: Date): Promise<boolean> {
    return this.cache.written(
      this.prisma.$transaction(async (tx) => {
        const { count } = await tx.client.updateMany({
          where: { id: clientId, deletedAt: null },
          data: { deletedAt: now, active: false },
        });
        if (count === 0) return false;
        await tx.apiKey.updateMany({ where: { clientId, revokedAt: null }, data: { revokedAt: now } });
        return true;
      }),
    );
  }

  /**
   * Issues a new client key. Live old keys expire at `oldKeysExpireAt` (a grace period) or are revoked now.
   * Returns false when the client does not exist.
   */
  async rotateKey(clientId: number, key: IssuedKey, now: Date, oldKeysExpireAt: Date | null): Promise<boolean> {
    return this.cache.written(this.rotate(clientId, key, now, oldKeysExpireAt));
  }

  private rotate(clientId: number, key: IssuedKey, now: Date, oldKeysExpireAt: Date | null): Promise<boolean> {
    return this.prisma.$transaction(async (tx) => {
      // The row lock serialises rotations of one client, so two at once cannot both leave a current key.
      const [client] = await tx.$queryRaw<
        { id: number }[]
      >`SELECT id FROM clients WHERE id = ${clientId} AND deleted_at IS NULL FOR UPDATE`;
      if (!client) return false;
      await retireLiveKeys(tx, { clientId, kind: 'client' }, now, oldKeysExpireAt);
      await tx.apiKey.create({ data: { clientId, kind: 'client', keyHash: key.hash, prefix: key.prefix } });
      return true;
    });
  }
}
