import { Injectable } from '@nestjs/common';
import { PrismaService } from '@/database/prisma.service';
import { Prisma } from '@/generated/prisma/client';

export interface UsageTotals {
  attempts: number;
  sent: number;
}

/**
 * Reads of the usage rollups; their size grows with days × instances × types, never with the message log.
 * Hand-written SQL: /stats is read often, and Prisma's aggregate and groupBy cost more CPU than the queries do.
 */
@Injectable()
export class StatsRepository {
  constructor(private readonly prisma: PrismaService) {}

  async totalsForClient(clientId: number, instanceId?: string): Promise<UsageTotals> {
    const [row] = await this.prisma.$queryRaw<{ attempts: bigint | null; sent: bigint | null }[]>`
      SELECT SUM(attempts) AS attempts, SUM(sent) AS sent FROM usage_daily WHERE client_id = ${clientId} ${onInstance(instanceId)}`;
    return { attempts: Number(row?.attempts ?? 0), sent: Number(row?.sent ?? 0) };
  }

  async byTypeForClient(clientId: number, instanceId?: string): Promise<{ messageType: string; count: number }[]> {
    const rows = await this.prisma.$queryRaw<{ message_type: string; count: bigint }[]>`
      SELECT message_type, SUM(attempts) AS count FROM usage_daily WHERE client_id = ${clientId} ${onInstance(instanceId)}
      GROUP BY message_type`;
    return rows.map((r) => ({ messageType: r.message_type, count: Number(r.count) })).sort((a, b) => b.count - a.count);
  }

  async dailyForClient(clientId: number, since: Date, instanceId?: string): Promise<Map<string, number>> {
    const rows = await this.prisma.$queryRaw<{ day: string; count: bigint }[]>`
      SELECT to_char(day, 'YYYY-MM-DD') AS day, SUM(attempts) AS count FROM usage_daily
      WHERE client_id = ${clientId} AND day >= ${since.toISOString().slice(0, 10)}::date ${onInstance(instanceId)}
      GROUP BY day`;
    return new Map(rows.map((r) => [r.day, Number(r.count)]));
  }
}

function onInstance(instanceId: string | undefined): Prisma.Sql {
  return instanceId ? Prisma.sql`AND instance_id = ${instanceId}::uuid` : Prisma.empty;
}
