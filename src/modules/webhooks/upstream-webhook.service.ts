import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import { Queue } from 'bullmq';
import { UnauthorizedError } from '@/common/errors/app-error';
import { isRecord } from '@/common/validation/is-record';
import { AppConfig } from '@/config/app-config';
import { Instance } from '@/generated/prisma/client';
import { isUpstreamWebhookToken } from '@/integrations/evolution/upstream-webhook';
import { BulkService } from '@/modules/bulk/bulk.service';
import { LiveEventPublisher } from '@/modules/events/live-event-publisher.service';
import { InstanceConnectionService } from '@/modules/instances/instance-connection.service';
import {
  describeRestriction,
  Restriction,
  restrictionFrom,
  restrictionOf,
} from '@/modules/instances/instance-restriction';
import { ReceivingInstance } from '@/modules/instances/instance-system.repository';
import { InstancesService } from '@/modules/instances/instances.service';
import { AcceptanceTracker } from '@/modules/messages/acceptance-tracker.service';
import { UPSTREAM_STATUS } from '@/modules/messages/message-status';
import { StatusBatcherService } from '@/modules/messages/status-batcher.service';
import { OptOutsService } from '@/modules/opt-outs/opt-outs.service';
import { ApplyStatusPayload, CheckRestrictionPayload } from '@/queue/job-payloads';
import { JobName, QueueName } from '@/queue/queue-names';
import { WebhookDeliveryService } from './webhook-delivery.service';

interface UpstreamEnvelope {
  event?: unknown;
  data?: unknown;
  date_time?: unknown;
  sender?: unknown;
}

type Data = Record<string, unknown>;

/** The gateway's own event when an inbound keyword changed the client's opt-out list. */
export const OPT_OUT_EVENT = 'optout.update';

/** The gateway's own event when the upstream reports the number logged out, banned or refused. */
export const INSTANCE_RESTRICTED_EVENT = 'instance.restricted';

/** Checked against when the name is unknown, so that case costs what a wrong token costs. */
const UNKNOWN_INSTANCE_ID = '00000000-0000-0000-0000-000000000000';

function asRecord(value: unknown): Data {
  return isRecord(value) ? value : {};
}

/** When the upstream made the event (epoch ms, its clock), if the envelope says (contract §4.1 `date_time`). */
function upstreamTime(body: UpstreamEnvelope): number | undefined {
  const at = typeof body.date_time === 'string' ? Date.parse(body.date_time) : NaN;
  return Number.isNaN(at) ? undefined : at;
}

/** The suffix form `/messages-update` (contract §4.2) names the same event as `messages.update`. */
function eventName(body: UpstreamEnvelope, suffix?: string): string {
  if (typeof body.event === 'string') return body.event;
  return (suffix ?? '').replace(/-/g, '.');
}

/** What makes an event a repeat: the message id (and status) where there is one (contract §4.1: no event id). */
export function dedupeKey(event: string, data: Data): string | null {
  if (event === 'messages.update' && typeof data.keyId === 'string')
    return `${event}:${data.keyId}:${String(data.status)}`;
  const key = asRecord(data.key);
  if (typeof key.id === 'string') return `${event}:${key.id}`;
  if (event === 'messages.delete' && typeof data.id === 'string') return `${event}:${data.id}`;
  const qr = asRecord(data.qrcode);
  if (event === 'qrcode.updated' && typeof qr.code === 'string') return `${event}:${qr.code}`;
  return null;
}

/**
 * Consumes what the upstream posts to the gateway: delivery status moves the message log, connection state moves the
 * instance, and every event the tenant subscribed to is stored once for signed delivery. Repeats are skipped (the
 * upstream resends, contract §4.3 and §11) and the answer is fast: delivery happens in the worker.
 */
@Injectable()
export class UpstreamWebhookService {
  constructor(
    private readonly config: AppConfig,
    private readonly instances: InstancesService,
    private readonly connection: InstanceConnectionService,
    private readonly statuses: StatusBatcherService,
    private readonly acceptances: AcceptanceTracker,
    private readonly bulks: BulkService,
    private readonly deliveries: WebhookDeliveryService,
    private readonly live: LiveEventPublisher,
    private readonly optOuts: OptOutsService,
    @InjectQueue(QueueName.UpstreamEvents) private readonly queue: Queue<ApplyStatusPayload>,
  ) {}

  async receive(
    instanceName: string,
    token: string | undefined,
    body: UpstreamEnvelope,
    suffix?: string,
  ): Promise<{ received: true }> {
    const instance = await this.instances.findLiveByNameWithClientUrlForSystem(instanceName);
    // An unknown name and a wrong token get the same answer (after the same work), so the receiver does not tell
    // anyone which instance names exist.
    const tokenValid = isUpstreamWebhookToken(
      this.config,
      instance?.id ?? UNKNOWN_INSTANCE_ID,
      instance?.upstreamId ?? null,
      token,
    );
    if (!instance || !tokenValid) {
      if (await this.fromDeletedInstance(instanceName, token)) return { received: true };
      throw new UnauthorizedError('Webhook token missing or wrong', 'INVALID_WEBHOOK_TOKEN');
    }
    // Being deleted: the upstream's delete trail and its last repeats are absorbed, never forwarded.
    if (instance.deletingAt) return { received: true };
    const event = eventName(body, suffix);
    const data = asRecord(body.data);
    const at = upstreamTime(body);
    let forward = true;
    if (event === 'messages.update') await this.applyStatus(instance, data);
    if (event === 'connection.update' && typeof data.state === 'string') {
      const outcome = await this.connection.recordUpstreamState(
        instance,
        data.state,
        typeof data.wuid === 'string' ? data.wuid : undefined,
        at,
      );
      // A state older than the connection's last end arrived late: the instance has moved on, so it changes nothing.
      if (outcome === 'stale') return { received: true };
      // The upstream repeats "connecting" every few seconds while it retries: only changes go to the tenant.
      forward = outcome === 'changed';
      if (data.state === 'open') {
        await this.connection.clearRestriction(instance);
        await this.bulks.resumeAfterReconnect(instance.id);
      }
    }
    if (event === 'qrcode.updated') await this.connection.recordQrCode(instance, data, at);
    if (forward) await this.announce(instance, event, data, body, dedupeKey(event, data));
    if (event === 'messages.upsert') await this.applyKeyword(instance, data, body);
    const restriction = event === 'connection.update' ? restrictionFrom(data.state, data.statusReason) : null;
    if (restriction) await this.restrict(instance, restriction, body, data);
    return { received: true };
  }

  /** An event for the tenant: stored for its webhook (once per dedupe key) and published to its `/ws` sockets. */
  private async announce(
    instance: ReceivingInstance,
    event: string,
    data: Data,
    body: UpstreamEnvelope,
    key: string | null,
  ): Promise<void> {
    const payload = this.tenantPayload(instance, event, body, data);
    await this.deliveries.record(instance, instance.clientWebhookUrl, event, payload, key);
    // Every event goes to the tenant's `/ws` sockets, whether or not it has a webhook URL or subscribed to it.
    await this.live.publish(
      { clientId: instance.clientId, instanceId: instance.id },
      { event, instance: payload.instance, data, date_time: payload.date_time },
      key,
    );
  }

  /**
   * An inbound opt-out keyword (STOP, ... START) sets the sender's place on the client's suppression list, announced as
   * `optout.update` once per inbound message (its dedupe key is the message's), whether or not the list changed: an
   * event whose recording failed after the list changed is announced when the upstream posts the message again.
   * Applied after the message's own event, so the tenant sees the message first.
   */
  private async applyKeyword(instance: ReceivingInstance, data: Data, body: UpstreamEnvelope): Promise<void> {
    const state = await this.optOuts.applyInbound(
      instance.clientId,
      { optOut: instance.clientOptOutKeywords, optIn: instance.clientOptInKeywords },
      data,
    );
    if (!state) return;
    const event: Data = {
      number: state.number,
      opted_out: state.optedOut,
      keyword: state.keyword,
      instance: instance.name,
    };
    const messageId = asRecord(data.key).id;
    const key = typeof messageId === 'string' ? `${OPT_OUT_EVENT}:${messageId}` : null;
    await this.announce(instance, OPT_OUT_EVENT, event, body, key);
  }

  /**
   * The upstream reported the number logged out, banned or refused: the instance's bulks pause saying why, the tenant
   * hears `instance.restricted` once, and the restriction is stored, which refuses every send until the instance is
   * open again. In that order, so that the upstream's retry of an event that failed midway does what is missing: the
   * pause changes nothing the second time, and the event is stored once under the upstream event's time.
   */
  private async restrict(
    instance: ReceivingInstance,
    restriction: Restriction,
    body: UpstreamEnvelope,
    data: Data,
  ): Promise<void> {
    await this.bulks.pauseForRestriction(instance.clientId, instance.id, restriction);
    const since = new Date();
    const known = restrictionOf(instance);
    if (known?.reason !== restriction.reason || known.statusReason !== restriction.statusReason) {
      const eventData = {
        state: data.state,
        reason: restriction.reason,
        status_reason: restriction.statusReason,
        message: describeRestriction(restriction),
        restricted_at: since.toISOString(),
      };
      const key =
        typeof body.date_time === 'string'
          ? `${INSTANCE_RESTRICTED_EVENT}:${restriction.statusReason}:${body.date_time}`
          : null;
      await this.announce(instance, INSTANCE_RESTRICTED_EVENT, eventData, body, key);
    }
    await this.connection.restrict(instance, restriction, since);
  }

  /**
   * Whether the event comes from an instance the gateway deleted (under this name, possibly taken by a new instance
   * since): the upstream keeps posting for a while after a delete (its delete trail comes late, contract §12, and it
   * retries refused posts), so such events are answered and dropped, not refused. Checked on every refusal, so an
   * unknown name still costs what a wrong token costs.
   */
  private async fromDeletedInstance(instanceName: string, token: string | undefined): Promise<boolean> {
    const deleted = await this.instances.deletedByNameForSystem(instanceName);
    return deleted.some(({ id, upstreamId }) => isUpstreamWebhookToken(this.config, id, upstreamId, token));
  }

  /**
   * Sends kept failing with "Connection Closed" (ClosedSendWatch): the upstream's record of the instance says why it
   * is down. A close for a reason that restricts it is applied as its `connection.update` would have been, since that
   * event may never have arrived. An instance the upstream shows open or reconnecting is left alone.
   */
  async checkRestriction({ instanceId, instanceName }: CheckRestrictionPayload): Promise<string> {
    const instance = await this.instances.findLiveByNameWithClientUrlForSystem(instanceName);
    if (!instance || instance.id !== instanceId || instance.deletingAt) return 'instance gone';
    const record = await this.connection.upstreamDisconnection(instance);
    const restriction = record?.state === 'close' ? restrictionFrom('close', record.reasonCode) : null;
    if (!record || !restriction) return 'not restricted';
    const body: UpstreamEnvelope = { date_time: record.at ?? new Date().toISOString() };
    const data: Data = { instance: instance.name, state: 'close', statusReason: restriction.statusReason };
    const outcome = await this.connection.recordUpstreamState(instance, 'close', undefined, undefined);
    if (outcome === 'changed') await this.announce(instance, 'connection.update', data, body, null);
    await this.restrict(instance, restriction, body, data);
    return `restricted: ${restriction.reason}`;
  }

  /** Worker side of the status retry: throws while the message is still unknown, so BullMQ tries again. */
  async retryStatus(payload: ApplyStatusPayload): Promise<string> {
    const outcome = await this.statuses.apply(payload);
    if (outcome === 'unknown') throw new Error('message not logged yet');
    return outcome;
  }

  /**
   * The reference's envelope. The upstream's `apikey` (an instance token when the upstream exposes it) and its
   * `destination`/`server_url` never reach a tenant.
   */
  private tenantPayload(instance: Instance, event: string, body: UpstreamEnvelope, data: Data) {
    return {
      event,
      instance: instance.name,
      data,
      date_time: typeof body.date_time === 'string' ? body.date_time : new Date().toISOString(),
      ...(typeof body.sender === 'string' ? { sender: body.sender } : {}),
      server_url: this.config.publicUrl,
    };
  }

  private async applyStatus(instance: Instance, data: Data): Promise<void> {
    const status = typeof data.status === 'string' ? UPSTREAM_STATUS[data.status] : undefined;
    const upstreamMessageId = typeof data.keyId === 'string' ? data.keyId : undefined;
    if (!status || !upstreamMessageId) return;
    await this.acceptances.settled(upstreamMessageId);
    const outcome = await this.statuses.apply({ instanceId: instance.id, upstreamMessageId, status });
    if (outcome === 'unknown') {
      // The webhook can beat the send's own bookkeeping; try again shortly instead of losing the status.
      await this.queue.add(
        JobName.ApplyStatus,
        {
          clientId: instance.clientId,
          instanceId: instance.id,
          upstreamMessageId,
          status: status as ApplyStatusPayload['status'],
        },
        {
          jobId: `apply-${instance.id}-${upstreamMessageId}-${String(data.status)}`,
          attempts: 6,
          backoff: { type: 'exponential', delay: 500 },
        },
      );
    }
  }
}
