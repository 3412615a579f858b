import { Injectable } from '@nestjs/common';
import { PrismaService } from '@/database/prisma.service';
import { DeliveryStatus, Instance, Prisma, WebhookDelivery } from '@/generated/prisma/client';

export interface NewDelivery {
  clientId: number;
  instanceId: string;
  event: string;
  payload: Prisma.InputJsonValue;
  url: string;
}

export interface DeliveryFilters {
  status?: DeliveryStatus;
  event?: string;
  instanceIds?: string[];
  before?: Date;
}

type SigningSecrets = Pick<Instance, 'name' | 'webhookSecretEncrypted' | 'webhookSecretPreviousEncrypted' | 'webhookSecretPreviousExpiresAt'>;

export type DeliveryWithInstance = WebhookDelivery & { instance: SigningSecrets };

type Tx = Prisma.TransactionClient;

/** Upstream events kept for tenants: the de-duplication keys and the deliveries, written together. */
@Injectable()
export class DeliveryRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Records an upstream event once: with a de-duplication key, a repeat returns 'duplicate' and stores nothing;
   * otherwise the delivery (when the tenant has a target) is stored in the same transaction as the key.
   */
  async recordEventForSystem(instanceId: string, dedupeKey: string | null, event: string, delivery: NewDelivery | null): Promise<'duplicate' | WebhookDelivery | null> {
    const firstSeen = async (db: Tx) =>
      (await db.$executeRaw`
        INSERT INTO upstream_events (instance_id, dedupe_key, event) VALUES (${instanceId}::uuid, ${dedupeKey}, ${event})
        ON CONFLICT DO NOTHING`) > 0;
    const create = (db: Tx, d: NewDelivery) => db.webhookDelivery.create({ data: { ...d, nextAttemptAt: new Date() } });
    // Most events need one write, or none: a transaction only when both the key and the delivery are written.
    if (!dedupeKey) return delivery ? create(this.prisma, delivery) : null;
    if (!delivery) return (await firstSeen(this.prisma)) ? null : 'duplicate';
    return this.prisma.$transaction(async (tx) => ((await firstSeen(tx)) ? create(tx, delivery) : ('duplicate' as const)));
  }

  findForClient(clientId: number, id: string): Promise<DeliveryWithInstance | null> {
    return this.prisma.webhookDelivery
      .findFirst({ where: { clientId, id } })
      .then(async (d) => {
        if (!d) return null;
        const instance = await this.prisma.instance.findFirst({
          where: { clientId, id: d.instanceId },
          select: { name: true, webhookSecretEncrypted: true, webhookSecretPreviousEncrypted: true, webhookSecretPreviousExpiresAt: true },
        });
        return instance ? { ...d, instance } : null;
      });
  }

  listForClient(clientId: number, f: DeliveryFilters, limit: number): Promise<WebhookDelivery[]> {
    return this.prisma.webhookDelivery.findMany({
      where: {
        clientId,
        status: f.status,
        event: f.event,
        instanceId: f.instanceIds ? { in: f.instanceIds } : undefined,
        createdAt: f.before ? { lt: f.before } : undefined,
      },
      orderBy: { createdAt: 'desc' },
      take: limit,
    });
  }

  async recordSuccessForClient(clientId: number, id: string, statusCode: number): Promise<void> {
    await this.prisma.webhookDelivery.updateMany({
      where: { clientId, id },
      data: { status: 'succeeded', attempts: { increment: 1 }, lastStatusCode: statusCode, lastError: null, nextAttemptAt: null, deliveredAt: new Date() },
    });
  }

  async recordFailureForClient(clientId: number, id: string, statusCode: number | null, error: string, nextAttemptAt: Date | null): Promise<void> {
    await this.prisma.webhookDelivery.updateMany({
      where: { clientId, id },
      data: { status: nextAttemptAt ? 'retrying' : 'dead', attempts: { increment: 1 }, lastStatusCode: statusCode, lastError: error.slice(0, 500), nextAttemptAt },
    });
  }

  /** Puts deliveries back in line for a fresh round of attempts. */
  async resetForClient(clientId: number, where: Prisma.WebhookDeliveryWhereInput): Promise<{ id: string }[]> {
    return this.prisma.$transaction(async (tx) => {
      const rows = await tx.webhookDelivery.findMany({ where: { ...where, clientId }, select: { id: true }, take: 10000 });
      await tx.webhookDelivery.updateMany({
        where: { clientId, id: { in: rows.map((r) => r.id) } },
        data: { status: 'pending', attempts: 0, nextAttemptAt: new Date(), lastError: null },
      });
      return rows;
    });
  }

  /** Deliveries due that have no job any more (a Redis loss), for the sweeper. */
  listDueForSystem(before: Date, limit: number): Promise<Pick<WebhookDelivery, 'id' | 'clientId' | 'attempts'>[]> {
    return this.prisma.webhookDelivery.findMany({
      where: { status: { in: ['pending', 'retrying'] }, nextAttemptAt: { lte: before } },
      select: { id: true, clientId: true, attempts: true },
      orderBy: { nextAttemptAt: 'asc' },
      take: limit,
    });
  }
}
