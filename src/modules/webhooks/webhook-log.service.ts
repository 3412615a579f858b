import { Injectable } from '@nestjs/common';
import { NotFoundError } from '@/common/errors/app-error';
import { ClientAuth } from '@/modules/auth/auth-context';
import { InstancesService } from '@/modules/instances/instances.service';
import { DeliveryRepository } from './delivery.repository';
import { DeliveriesQueryDto, toDeliveryResponse } from './dto/deliveries.dto';
import { WebhookDeliveryService } from './webhook-delivery.service';

/** The tenant's delivery log and replay. */
@Injectable()
export class WebhookLogService {
  constructor(
    private readonly deliveries: DeliveryRepository,
    private readonly delivery: WebhookDeliveryService,
    private readonly instances: InstancesService,
  ) {}

  async list(auth: ClientAuth, q: DeliveriesQueryDto) {
    const instanceIds = await this.scope(auth, q.instance);
    const rows = await this.deliveries.listForClient(
      auth.clientId,
      { status: q.status, event: q.event, instanceIds, before: q.before ? new Date(q.before) : undefined },
      q.limit,
    );
    const names = await this.instances.namesByIdForClient(auth.clientId, [...new Set(rows.map((r) => r.instanceId))]);
    const last = rows.at(-1);
    return {
      deliveries: rows.map((r) => toDeliveryResponse(r, names.get(r.instanceId) ?? '')),
      next_before: rows.length === q.limit && last ? last.createdAt.toISOString() : null,
    };
  }

  async redeliver(auth: ClientAuth, id: string) {
    const found = await this.deliveries.findForClient(auth.clientId, id);
    if (!found || (auth.instanceId && found.instanceId !== auth.instanceId)) {
      throw new NotFoundError(`Delivery ${id} does not exist`, 'DELIVERY_NOT_FOUND');
    }
    await this.delivery.redeliver(auth.clientId, id);
    return { id, status: 'pending' };
  }

  async redeliverDead(auth: ClientAuth, since: string, instance?: string) {
    const count = await this.delivery.redeliverDeadSince(
      auth.clientId,
      new Date(since),
      await this.scope(auth, instance),
    );
    return { redelivered: count };
  }

  private async scope(auth: ClientAuth, name?: string): Promise<string[] | undefined> {
    const named = name === undefined ? undefined : await this.instances.idsByNameIncludingDeleted(auth.clientId, name);
    if (!auth.instanceId) return named;
    return named ? named.filter((id) => id === auth.instanceId) : [auth.instanceId];
  }
}
