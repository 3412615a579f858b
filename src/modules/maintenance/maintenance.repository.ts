import { Injectable } from '@nestjs/common';
import { PrismaService } from '@/database/prisma.service';

/** Housekeeping deletes across tenants: these rows have expired for everyone. */
@Injectable()
export class MaintenanceRepository {
  constructor(private readonly prisma: PrismaService) {}

  async deleteExpiredIdempotencyKeys(now: Date): Promise<number> {
    const { count } = await this.prisma.idempotencyKey.deleteMany({ where: { expiresAt: { lt: now } } });
    return count;
  }

  async deleteUpstreamEventsBefore(cutoff: Date): Promise<number> {
    const { count } = await this.prisma.upstreamEvent.deleteMany({ where: { receivedAt: { lt: cutoff } } });
    return count;
  }

  async deleteSettledDeliveriesBefore(cutoff: Date): Promise<number> {
    const { count } = await this.prisma.webhookDelivery.deleteMany({
      where: { status: { in: ['succeeded', 'dead'] }, createdAt: { lt: cutoff } },
    });
    return count;
  }
}
