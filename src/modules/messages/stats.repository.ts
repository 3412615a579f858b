import { Injectable } from '@nestjs/common';
import { PrismaService } from '@/database/prisma.service';

export interface UsageTotals {
  attempts: number;
  sent: number;
}

/** Reads of the usage rollups; their size grows with days × instances × types, never with the message log. */
@Injectable()
export class StatsRepository {
  constructor(private readonly prisma: PrismaService) {}

  async totalsForClient(clientId: number, instanceId?: string): Promise<UsageTotals> {
    const r = await this.prisma.usageDaily.aggregate({ where: { clientId, instanceId }, _sum: { attempts: true, sent: true } });
    return { attempts: r._sum.attempts ?? 0, sent: r._sum.sent ?? 0 };
  }

  async byTypeForClient(clientId: number, instanceId?: string): Promise<{ messageType: string; count: number }[]> {
    const rows = await this.prisma.usageDaily.groupBy({ by: ['messageType'], where: { clientId, instanceId }, _sum: { attempts: true } });
    return rows.map((r) => ({ messageType: r.messageType, count: r._sum.attempts ?? 0 })).sort((a, b) => b.count - a.count);
  }

  async dailyForClient(clientId: number, since: Date, instanceId?: string): Promise<Map<string, number>> {
    const rows = await this.prisma.usageDaily.groupBy({ by: ['day'], where: { clientId, instanceId, day: { gte: since } }, _sum: { attempts: true } });
    return new Map(rows.map((r) => [r.day.toISOString().slice(0, 10), r._sum.attempts ?? 0]));
  }
}
