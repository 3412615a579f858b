import { Injectable } from '@nestjs/common';
import { PrismaService } from '@/database/prisma.service';
import { TenantReadCache } from '@/database/tenant-read-cache';
import { Restriction } from './instance-restriction';

/**
 * An instance's restriction, kept in Postgres so every process refuses its sends. Both writes go through the tenant
 * read cache, so this process sees them at once and the others within TENANT_CACHE_TTL_MS.
 */
@Injectable()
export class InstanceRestrictionRepository {
  constructor(
    private readonly prisma: PrismaService,
    private readonly cache: TenantReadCache,
  ) {}

  /** Stores the restriction on the live instance; true when it is new (the instance had none, or another one). */
  async restrictForClient(clientId: number, id: string, restriction: Restriction, at: Date): Promise<boolean> {
    const { count } = await this.cache.written(
      this.prisma.instance.updateMany({
        where: {
          clientId,
          id,
          deletedAt: null,
          OR: [
            { restriction: null },
            { NOT: { restriction: restriction.reason } },
            { NOT: { restrictionStatus: restriction.statusReason } },
          ],
        },
        data: { restriction: restriction.reason, restrictionStatus: restriction.statusReason, restrictedAt: at },
      }),
    );
    return count === 1;
  }

  /** Lifts the instance's restriction; true when it had one. */
  async clearForClient(clientId: number, id: string): Promise<boolean> {
    const { count } = await this.cache.written(
      this.prisma.instance.updateMany({
        where: { clientId, id, NOT: { restriction: null } },
        data: { restriction: null, restrictionStatus: null, restrictedAt: null },
      }),
    );
    return count === 1;
  }
}
