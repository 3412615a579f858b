import { Injectable } from '@nestjs/common';
import { fromRow } from '@/database/raw-row';
import { PrismaService } from '@/database/prisma.service';
import { ApiKey, Client, Prisma } from '@/generated/prisma/client';
import { ClientLimits } from './auth-context';

/** What authenticating a key needs: the key's state and its client's state and limits. */
export type KeyForAuth = Pick<ApiKey, 'id' | 'clientId' | 'instanceId' | 'kind' | 'keyHash' | 'expiresAt' | 'revokedAt'> & {
  client: Pick<Client, 'active' | 'deletedAt'> & ClientLimits;
};

@Injectable()
export class ApiKeyRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** The key row for a hash, with its client; the caller decides whether it is usable. Runs on every request. */
  findByHash(keyHash: string): Promise<KeyForAuth | null> {
    return this.findForAuth(Prisma.sql`k.key_hash = ${keyHash}`);
  }

  findByIdWithClient(id: number): Promise<KeyForAuth | null> {
    return this.findForAuth(Prisma.sql`k.id = ${id}`);
  }

  /** A client that is not deleted, for the operator's master key acting on its behalf. */
  findLiveClientForSystem(id: number): Promise<Client | null> {
    return this.prisma.client.findFirst({ where: { id, deletedAt: null } });
  }

  private async findForAuth(condition: Prisma.Sql): Promise<KeyForAuth | null> {
    const [row] = await this.prisma.$queryRaw<Record<string, unknown>[]>`
      SELECT k.id, k.client_id, k.instance_id, k.kind::text AS kind, k.key_hash, k.expires_at, k.revoked_at,
             c.active, c.deleted_at, c.rate_limit, c.daily_cap, c.send_interval_ms, c.jitter_min_ms, c.jitter_max_ms,
             c.strict_content_guard
      FROM api_keys k JOIN clients c ON c.id = k.client_id
      WHERE ${condition}`;
    if (!row) return null;
    const { id, clientId, instanceId, kind, keyHash, expiresAt, revokedAt, ...client } = fromRow<KeyForAuth & KeyForAuth['client']>(row);
    return { id, clientId, instanceId, kind, keyHash, expiresAt, revokedAt, client };
  }
}
