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

type SigningSecrets = Pick<
  Instance,
  'name' | 'webhookSecretEncrypted' | 'webhookSecretPreviousEncrypted' | 'webhookSecretPreviousExpiresAt'
>;

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
  async recordEventForSystem(
    instanceId: string,
    dedupeKey: string | null,
    event: string,
    delivery: NewDelivery | null,
  ): Promise<'duplicate' | WebhookDelivery | null> {
    const firstSeen = async (db: Tx) =>
      (await db.$executeRaw`
        INSERT INTO upstream_events (instance_id, dedupe_key, event) VALUES (${instanceId}::uuid, ${dedupeKey}, ${event})
        ON CONFLICT DO NOTHING`) > 0;
    const create = (db: Tx, d: NewDelivery) => db.webhookDelivery.create({ data: { ...d, nextAttemptAt: new Date() } });
    // Most events need one write, or none: a transaction only when both the key and the delivery are written.
    if (!dedupeKey) return delivery ? create(this.prisma, delivery) : null;
    if (!delivery) return (await firstSeen(this.prisma)) ? null : 'duplicate';
    return this.prisma.$transaction(async (tx) =>
      (await firstSeen(tx)) ? create(tx, delivery) : ('duplicate' as const),
    );
  }

  findForClient(clientId: number, id: string): Promise<DeliveryWithInstance | null> {
    return this.prisma.webhookDelivery.findFirst({ where: { clientId, id } }).then(async (d) => {
      if (!d) return null;
      const instance = await this.prisma.instance.findFirst({
        where: { clientId, id: d.instanceId },
        select: {
          name: true,
          webhookSecretEncrypted: true,
          webhookSecretPreviousEncrypted: true,
          webhookSecretPreviousExpiresAt: true,
        },
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

  /**
   * Takes the delivery for one attempt until `leaseUntil`, in one statement: only when it is still pending or retrying,
   * due by `dueBy`, and no other attempt holds it. False means there is nothing to attempt now.
   */
  async claimForClient(clientId: number, id: string, now: Date, dueBy: Date, leaseUntil: Date): Promise<boolean> {
    const { count } = await this.prisma.webhookDelivery.updateMany({
      where: {
        clientId,
        id,
        status: { in: ['pending', 'retrying'] },
        nextAttemptAt: { lte: dueBy },
        OR: [{ leaseUntil: null }, { leaseUntil: { lte: now } }],
      },
      data: { leaseUntil },
    });
    return count === 1;
  }

  async recordSuccessForClient(clientId: number, id: string, statusCode: number): Promise<void> {
    await this.prisma.webhookDelivery.updateMany({
      where: { clientId, id },
      data: {
        status: 'succeeded',
        attempts: { increment: 1 },
        lastStatusCode: statusCode,
        lastError: null,
        nextAttemptAt: null,
        leaseUntil: null,
        deliveredAt: new Date(),
      },
    });
  }

  async recordFailureForClient(
    clientId: number,
    id: string,
    statusCode: number | null,
    error: string,
    nextAttemptAt: Date | null,
  ): Promise<void> {
    await this.prisma.webhookDelivery.updateMany({
      where: { clientId, id },
      data: {
        status: nextAttemptAt ? 'retrying' : 'dead',
        attempts: { increment: 1 },
        lastStatusCode: statusCode,
        lastError: error.slice(0, 500),
        nextAttemptAt,
        leaseUntil: null,
      },
    });
  }

  /**
   * Puts deliveries back in line for a fresh round of attempts, due at `dueAt`. A delivery whose attempt is running
   * keeps its lease, so the new round never runs beside that attempt (whose outcome is recorded as usual).
   */
  async resetForClient(
    clientId: number,
    where: Prisma.WebhookDeliveryWhereInput,
    dueAt: Date,
  ): Promise<{ id: string }[]> {
    return this.prisma.$transaction(async (tx) => {
      const rows = await tx.webhookDelivery.findMany({
        where: { ...where, clientId },
        select: { id: true },
        take: 10000,
      });
      await tx.webhookDelivery.updateMany({
        where: { clientId, id: { in: rows.map((r) => r.id) } },
        data: { status: 'pending', attempts: 0, nextAttemptAt: dueAt, lastError: null },
      });
      return rows;
    });
  }

  /**
   * Deliveries due by `before` that no attempt holds, for the sweeper: their job was lost with Redis, failed all its
   * tries (Postgres unreachable), or ended with a crashed attempt whose lease has run out.
   */
  listDueForSystem(before: Date, limit: number): Promise<Pick<WebhookDelivery, 'id' | 'clientId' | 'nextAttemptAt'>[]> {
    return this.prisma.webhookDelivery.findMany({
      where: {
        status: { in: ['pending', 'retrying'] },
        nextAttemptAt: { lte: before },
        OR: [{ leaseUntil: null }, { leaseUntil: { lte: before } }],
      },
      select: { id: true, clientId: true, nextAttemptAt: true },
      orderBy: { nextAttemptAt: 'asc' },
      take: limit,
    });
  }
}
