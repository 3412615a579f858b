import { Injectable } from '@nestjs/common';
import { PrismaService } from '@/database/prisma.service';
import { AuditEvent, Prisma } from '@/generated/prisma/client';

export interface AuditEntry {
  actorType: 'admin' | 'client' | 'system';
  actorId?: string;
  clientId?: number;
  action: string;
  targetType: string;
  targetId?: string;
  details?: Prisma.InputJsonValue;
}

export interface AuditQuery {
  clientId?: number;
  action?: string;
  beforeId?: bigint;
  limit: number;
}

@Injectable()
export class AuditRepository {
  constructor(private readonly prisma: PrismaService) {}

  async insert(entry: AuditEntry): Promise<void> {
    await this.prisma.auditEvent.create({ data: entry });
  }

  /** Operator-wide (admin) listing, newest first, keyset-paged by id. */
  list(query: AuditQuery): Promise<AuditEvent[]> {
    return this.prisma.auditEvent.findMany({
      where: {
        clientId: query.clientId,
        action: query.action,
        id: query.beforeId === undefined ? undefined : { lt: query.beforeId },
      },
      orderBy: { id: 'desc' },
      take: query.limit,
    });
  }
}
