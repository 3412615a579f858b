import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, OnModuleDestroy } from '@nestjs/common';
import axios, { AxiosInstance } from 'axios';
import { Queue } from 'bullmq';
import http from 'node:http';
import https from 'node:https';
import { decryptSecret } from '@/common/crypto/secret-box';
import { NotFoundError } from '@/common/errors/app-error';
import { OutboundBlockedError, OutboundGuard } from '@/common/net/outbound-guard';
import { AppConfig } from '@/config/app-config';
import { Instance } from '@/generated/prisma/client';
import { DeliverPayload } from '@/queue/job-payloads';
import { JobName, QueueName } from '@/queue/queue-names';
import { DeliveryRepository, DeliveryWithInstance } from './delivery.repository';
import { webhookHeaders } from './standard-webhooks';

const MAX_REDIRECTS = 3;

/** The upstream's event name as the reference lists it: messages.update → MESSAGES_UPDATE (contract §4.2). */
export function subscriptionName(event: string): string {
  return event.replace(/[.-]/g, '_').toUpperCase();
}

interface AttemptResult {
  ok: boolean;
  statusCode: number | null;
  error: string;
}

/**
 * Delivers stored upstream events to tenant endpoints, signed the Standard Webhooks way, retried on the configured
 * schedule (about a day by default), then marked dead. Every target address passes the SSRF guard at connect time,
 * redirects included.
 */
@Injectable()
export class WebhookDeliveryService implements OnModuleDestroy {
  private readonly http: AxiosInstance;
  private readonly agents: { http: http.Agent; https: https.Agent };

  constructor(
    private readonly deliveries: DeliveryRepository,
    private readonly config: AppConfig,
    private readonly guard: OutboundGuard,
    @InjectQueue(QueueName.WebhookDelivery) private readonly queue: Queue<DeliverPayload>,
  ) {
    this.agents = {
      http: new http.Agent({ keepAlive: true, lookup: this.guard.lookup as never }),
      https: new https.Agent({ keepAlive: true, lookup: this.guard.lookup as never }),
    };
    this.http = axios.create({
      httpAgent: this.agents.http,
      httpsAgent: this.agents.https,
      maxRedirects: 0,
      // Never through HTTP(S)_PROXY: a proxy would connect to the target itself, past the guard's address check.
      proxy: false,
      validateStatus: () => true,
      timeout: config.get('WEBHOOK_TIMEOUT_MS'),
      // Tenant answers are never read beyond their status; a huge body must not fill memory.
      maxContentLength: 64 * 1024,
      transformResponse: [(data: unknown) => data],
    });
  }

  onModuleDestroy(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }

  /**
   * Stores an upstream event for the instance's tenant (once, when `dedupeKey` is given) and queues its delivery.
   * Nothing is stored for a tenant without a target or not subscribed to the event: there is nothing to repeat.
   */
  async record(instance: Instance, clientWebhookUrl: string | null, event: string, payload: object, dedupeKey: string | null): Promise<void> {
    const url = instance.webhookEnabled ? (instance.webhookUrl ?? clientWebhookUrl) : null;
    const subscribed = instance.webhookEvents.length === 0 || instance.webhookEvents.includes(subscriptionName(event));
    if (!url || !subscribed) return;
    const target = { clientId: instance.clientId, instanceId: instance.id, event, payload, url };
    const stored = await this.deliveries.recordEventForSystem(instance.id, dedupeKey, event, target);
    if (stored && stored !== 'duplicate') await this.enqueue(stored.clientId, stored.id, 0);
  }

  /** One attempt; schedules the next one or marks the delivery dead. Safe to repeat: the webhook-id stays the same. */
  async attempt(clientId: number, deliveryId: string): Promise<void> {
    const delivery = await this.deliveries.findForClient(clientId, deliveryId);
    if (!delivery || delivery.status === 'succeeded' || delivery.status === 'dead') return;
    const body = JSON.stringify(delivery.payload);
    const result = await this.post(delivery.url, body, webhookHeaders(this.signingSecrets(delivery.instance), delivery.id, body));
    if (result.ok) {
      await this.deliveries.recordSuccessForClient(clientId, deliveryId, result.statusCode!);
      return;
    }
    const schedule = this.config.webhookRetryDelaysMs;
    const wait = schedule[delivery.attempts];
    const next = wait === undefined ? null : new Date(Date.now() + wait);
    await this.deliveries.recordFailureForClient(clientId, deliveryId, result.statusCode, result.error, next);
    if (next) await this.enqueue(clientId, deliveryId, delivery.attempts + 1, wait);
  }

  /** The current secret, and the previous one while its rotation's grace period runs. */
  private signingSecrets(instance: DeliveryWithInstance['instance']): string[] {
    const key = this.config.encryptionKey;
    const previous = instance.webhookSecretPreviousEncrypted;
    const graceRuns = previous && instance.webhookSecretPreviousExpiresAt && instance.webhookSecretPreviousExpiresAt > new Date();
    return [decryptSecret(instance.webhookSecretEncrypted, key), ...(graceRuns ? [decryptSecret(previous, key)] : [])];
  }

  async redeliver(clientId: number, deliveryId: string): Promise<void> {
    const rows = await this.deliveries.resetForClient(clientId, { id: deliveryId });
    if (rows.length === 0) throw new NotFoundError(`Delivery ${deliveryId} does not exist`, 'DELIVERY_NOT_FOUND');
    await this.enqueue(clientId, deliveryId, 0, 0, `redeliver-${Date.now()}`);
  }

  async redeliverDeadSince(clientId: number, since: Date, instanceIds?: string[]): Promise<number> {
    const rows = await this.deliveries.resetForClient(clientId, {
      status: 'dead',
      createdAt: { gte: since },
      instanceId: instanceIds ? { in: instanceIds } : undefined,
    });
    const round = `redeliver-${Date.now()}`;
    for (const row of rows) await this.enqueue(clientId, row.id, 0, 0, round);
    return rows.length;
  }

  /** Queues deliveries whose job was lost (a Redis restart): Postgres holds every delivery and its next attempt. */
  async sweepDue(): Promise<number> {
    const due = await this.deliveries.listDueForSystem(new Date(Date.now() - 5000), 500);
    for (const d of due) await this.enqueue(d.clientId, d.id, d.attempts);
    return due.length;
  }

  /** One job per attempt; the job id makes re-queuing the same attempt a no-op. */
  private async enqueue(clientId: number, deliveryId: string, attempt: number, delay = 0, round = 'auto'): Promise<void> {
    await this.queue.add(
      JobName.Deliver,
      { clientId, deliveryId },
      { jobId: `delivery-${deliveryId}-${round}-${attempt}`, delay, attempts: 3, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: true },
    );
  }

  private async post(url: string, body: string, headers: Record<string, string>): Promise<AttemptResult> {
    let target = url;
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      try {
        this.guard.checkUrl(target);
        const res = await this.http.post(target, body, { headers });
        if (res.status >= 200 && res.status < 300) return { ok: true, statusCode: res.status, error: '' };
        const location = res.headers.location;
        if (res.status >= 300 && res.status < 400 && typeof location === 'string') {
          target = new URL(location, target).toString();
          continue;
        }
        return { ok: false, statusCode: res.status, error: `endpoint answered ${res.status}` };
      } catch (err) {
        const blocked = err instanceof OutboundBlockedError || (err as { cause?: unknown }).cause instanceof OutboundBlockedError;
        const message = err instanceof Error ? err.message : String(err);
        return { ok: false, statusCode: null, error: blocked ? `refused: ${message}` : message };
      }
    }
    return { ok: false, statusCode: null, error: `more than ${MAX_REDIRECTS} redirects` };
  }
}
