import { Injectable } from '@nestjs/common';
import { IssuedKey } from '@/common/crypto/api-keys';
import { PrismaService } from '@/database/prisma.service';
import { rowMapper, RowShape } from '@/database/row-mapping';
import { TenantReadCache } from '@/database/tenant-read-cache';
import { Instance, InstanceStatus, Prisma } from '@/generated/prisma/client';
import { retireLiveKeys } from '@/modules/auth/api-key.repository';

export interface NewInstance {
  clientId: number;
  name: string;
  integration: string;
  tokenEncrypted: string;
  webhookSecretEncrypted: string;
  webhookUrl: string | null;
}

/** A live instance: not deleted. Shared with InstanceSystemRepository. */
export const LIVE = { deletedAt: null } satisfies Prisma.InstanceWhereInput;

/** First key of the two-key advisory lock that serialises one client's instance creates. */
const INSTANCE_LIMIT_LOCK = 4201;
/** First key of the two-key advisory lock that serialises placing instances on upstreams (every client's). */
const PLACEMENT_LOCK = 4202;

/** The instance row of hand-written SQL, here and in InstanceSystemRepository (see rowMapper). */
export const INSTANCE_COLUMNS: RowShape<Instance> = {
  id: 'string',
  clientId: 'number',
  name: 'string',
  upstreamInstanceId: 'string?',
  upstreamId: 'number?',
  integration: 'string',
  tokenEncrypted: 'string',
  webhookSecretEncrypted: 'string',
  webhookSecretPreviousEncrypted: 'string?',
  webhookSecretPreviousExpiresAt: 'date?',
  webhookUrl: 'string?',
  webhookEvents: 'strings',
  webhookEnabled: 'boolean',
  status: 'string',
  eventState: 'string?',
  ownerJid: 'string?',
  statusChangedAt: 'date?',
  tokenCheckedAt: 'date?',
  driftNote: 'string?',
  driftAt: 'date?',
  createdAt: 'date',
  updatedAt: 'date',
  deletedAt: 'date?',
  deletingAt: 'date?',
  restriction: 'string?',
  restrictionStatus: 'number?',
  restrictedAt: 'date?',
};
export const instanceRow = rowMapper<Instance>('instances', INSTANCE_COLUMNS);

/**
 * A client's instances. Every method takes `clientId` first (a create, in its data) and puts it in the `where`; the
 * reads and writes without it (webhook receiver, token refresh, drift checks, the operator's views) live in
 * InstanceSystemRepository.
 */
@Injectable()
export class InstanceRepository {
  constructor(
    private readonly prisma: PrismaService,
    private readonly cache: TenantReadCache,
  ) {}

  /**
   * Inserts the instance unless the client already owns `maxInstances` live ones. A per-client advisory lock makes
   * the count and the insert one step, so concurrent creates cannot pass the limit together.
   *
   * Reserves the instance's row within its client's limit, placed on the upstream with the most free capacity
   * (`capacity` minus its live instances) among `upstreamIds` (those answering) that are not draining. Placements
   * are serialised, so two creates at once cannot both take an upstream's last place.
   */
  createWithinLimit(
    data: NewInstance,
    upstreamIds: number[],
  ): Promise<Instance | 'limit-reached' | 'client-gone' | 'no-upstream'> {
    return this.prisma.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(${INSTANCE_LIMIT_LOCK}, ${data.clientId})`;
      const client = await tx.client.findFirst({
        where: { id: data.clientId, deletedAt: null },
        select: { maxInstances: true },
      });
      if (!client) return 'client-gone';
      const live = await tx.instance.count({ where: { clientId: data.clientId, ...LIVE } });
      if (live >= client.maxInstances) return 'limit-reached';
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(${PLACEMENT_LOCK}, 0)`;
      const [place] = await tx.$queryRaw<{ id: number }[]>`
        SELECT u.id FROM upstreams u
        LEFT JOIN instances i ON i.upstream_id = u.id AND i.deleted_at IS NULL
        WHERE u.id = ANY(${upstreamIds}::int[]) AND NOT u.draining
        GROUP BY u.id
        HAVING u.capacity - count(i.id) > 0
        ORDER BY u.capacity - count(i.id) DESC, u.id
        LIMIT 1`;
      if (!place) return 'no-upstream';
      return tx.instance.create({ data: { ...data, upstreamId: place.id } });
    });
  }

  async maxInstancesOfClient(clientId: number): Promise<number> {
    const client = await this.prisma.client.findUnique({ where: { id: clientId }, select: { maxInstances: true } });
    return client?.maxInstances ?? 0;
  }

  /** Runs on every send: hand-written SQL (see rowMapper). */
  findByNameForClient(clientId: number, name: string): Promise<Instance | null> {
    return this.cache.read(`instance:${clientId}:${name}`, async () => {
      const [row] = await this.prisma.rows<Record<string, unknown>>(
        'SELECT * FROM instances WHERE client_id = $1 AND name = $2 AND deleted_at IS NULL LIMIT 1',
        [clientId, name],
      );
      return row ? instanceRow(row) : null;
    });
  }

  findByIdForClient(clientId: number, id: string): Promise<Instance | null> {
    return this.prisma.instance.findFirst({ where: { clientId, id, ...LIVE } });
  }

  async setWebhookForClient(
    clientId: number,
    id: string,
    data: Pick<Instance, 'webhookUrl' | 'webhookEvents' | 'webhookEnabled'>,
  ): Promise<void> {
    await this.cache.written(this.prisma.instance.updateMany({ where: { clientId, id, ...LIVE }, data }));
  }

  /** Read for every forwarded upstream event: hand-written SQL (see rowMapper). */
  async clientWebhookUrl(clientId: number): Promise<string | null> {
    const [row] = await this.prisma.$queryRaw<
      { webhook_url: string | null }[]
    >`SELECT webhook_url FROM clients WHERE id = ${clientId}`;
    return row?.webhook_url ?? null;
  }

  async namesByIdForClient(clientId: number, ids: string[]): Promise<Map<string, string>> {
    const rows = await this.prisma.instance.findMany({
      where: { clientId, id: { in: ids } },
      select: { id: true, name: true },
    });
    return new Map(rows.map((r) => [r.id, r.name]));
  }

  /** Ids of every instance with this name the client ever had, so logs of deleted instances stay findable. */
  async idsByNameIncludingDeletedForClient(clientId: number, name: string): Promise<string[]> {
    const rows = await this.prisma.instance.findMany({ where: { clientId, name }, select: { id: true } });
    return rows.map((r) => r.id);
  }

  listForClient(clientId: number, limit: number, offset: number): Promise<[Instance[], number]> {
    const where = { clientId, ...LIVE };
    return this.prisma.$transaction([
      this.prisma.instance.findMany({ where, orderBy: { createdAt: 'asc' }, take: limit, skip: offset }),
      this.prisma.instance.count({ where }),
    ]);
  }

  /** Stores a new best-known state (a status poll's or a QR request's); false when the instance already had it. */
  async updateStatusForClient(clientId: number, id: string, status: InstanceStatus): Promise<boolean> {
    const { count } = await this.cache.written(
      this.prisma.instance.updateMany({
        where: { clientId, id, ...LIVE, NOT: { status } },
        data: { status, statusChangedAt: new Date() },
      }),
    );
    return count === 1;
  }

  /**
   * Stores a state the upstream's events reported, as the event state and as the status. True only when the event
   * state changed: a repeat is no change even when a poll has since stored another status (contract §12), which
   * the repeat then puts back. One conditional UPDATE decides, so concurrent repeats cannot both see a change.
   */
  async recordEventStateForClient(
    clientId: number,
    id: string,
    state: InstanceStatus,
    ownerJid?: string,
  ): Promise<boolean> {
    const now = new Date();
    const { count } = await this.cache.written(
      this.prisma.instance.updateMany({
        where: { clientId, id, ...LIVE, OR: [{ eventState: null }, { NOT: { eventState: state } }] },
        data: {
          eventState: state,
          status: state,
          statusChangedAt: now,
          ...(ownerJid !== undefined ? { ownerJid } : {}),
        },
      }),
    );
    if (count === 1) return true;
    await this.updateStatusForClient(clientId, id, state);
    return false;
  }

  /**
   * Completes a create: records the upstream id and issues the instance key, unless the instance was deleted
   * meanwhile (then false, and nothing is written).
   */
  finishCreateForClient(clientId: number, id: string, upstreamInstanceId: string, key: IssuedKey): Promise<boolean> {
    return this.cache.written(
      this.prisma.$transaction(async (tx) => {
        const { count } = await tx.instance.updateMany({
          where: { clientId, id, ...LIVE },
          data: { upstreamInstanceId },
        });
        if (count === 0) return false;
        await tx.apiKey.create({
          data: { clientId, instanceId: id, kind: 'instance', keyHash: key.hash, prefix: key.prefix },
        });
        return true;
      }),
    );
  }

  /**
   * Issues a new instance key. The instance's live keys expire at `oldKeysExpireAt` (a grace period) or are revoked
   * now. False when the instance does not exist (or no longer does).
   */
  rotateKeyForClient(
    clientId: number,
    id: string,
    key: IssuedKey,
    now: Date,
    oldKeysExpireAt: Date | null,
  ): Promise<boolean> {
    return this.cache.written(
      this.prisma.$transaction(async (tx) => {
        // The row lock serialises rotations of one instance (and a delete), so two at once cannot both leave a key.
        const [live] = await tx.$queryRaw<{ id: string }[]>`
          SELECT id FROM instances WHERE client_id = ${clientId} AND id = ${id}::uuid AND deleted_at IS NULL FOR UPDATE`;
        if (!live) return false;
        await retireLiveKeys(tx, { clientId, instanceId: id, kind: 'instance' }, now, oldKeysExpireAt);
        await tx.apiKey.create({
          data: { clientId, instanceId: id, kind: 'instance', keyHash: key.hash, prefix: key.prefix },
        });
        return true;
      }),
    );
  }

  /**
   * Stores a new webhook signing secret. With a grace period the current one becomes the previous secret, which
   * keeps signing until `previousExpiresAt`; without one it stops at once. False when the instance does not exist.
   */
  async rotateWebhookSecretForClient(
    clientId: number,
    id: string,
    secretEncrypted: string,
    previousExpiresAt: Date | null,
  ): Promise<boolean> {
    // An ISO string: a `timestamp` column takes its UTC digits and ignores the zone, whatever the session's zone.
    const expiresAt = previousExpiresAt?.toISOString() ?? null;
    const count = await this.prisma.$executeRaw`
      UPDATE instances SET
        webhook_secret_previous_encrypted = CASE WHEN ${expiresAt}::timestamp IS NULL THEN NULL ELSE webhook_secret_encrypted END,
        webhook_secret_previous_expires_at = ${expiresAt}::timestamp,
        webhook_secret_encrypted = ${secretEncrypted},
        updated_at = now()
      WHERE client_id = ${clientId} AND id = ${id}::uuid AND deleted_at IS NULL`;
    return count === 1;
  }

  /** Soft delete: the row stays for message logs, the name becomes free, the instance keys stop working. */
  async softDeleteForClient(clientId: number, id: string, now: Date): Promise<boolean> {
    return this.cache.written(
      this.prisma.$transaction(async (tx) => {
        const { count } = await tx.instance.updateMany({ where: { clientId, id, ...LIVE }, data: { deletedAt: now } });
        if (count === 0) return false;
        await tx.apiKey.updateMany({ where: { clientId, instanceId: id, revokedAt: null }, data: { revokedAt: now } });
        return true;
      }),
    );
  }

  /** Marks the start of a delete (the instance's events are absorbed from then on); false when it is gone already. */
  async markDeletingForClient(clientId: number, id: string, now: Date): Promise<boolean> {
    const { count } = await this.cache.written(
      this.prisma.instance.updateMany({ where: { clientId, id, ...LIVE }, data: { deletingAt: now } }),
    );
    return count === 1;
  }

  /** A delete that failed upstream: the instance is kept, and its events count again. */
  async clearDeletingForClient(clientId: number, id: string): Promise<void> {
    await this.cache.written(
      this.prisma.instance.updateMany({ where: { clientId, id, ...LIVE }, data: { deletingAt: null } }),
    );
  }

  /** Undoes a create that failed midway: nothing may refer to the row yet. */
  async removeUnfinishedForClient(clientId: number, id: string): Promise<void> {
    await this.cache.written(this.prisma.instance.deleteMany({ where: { clientId, id } }));
  }
}
