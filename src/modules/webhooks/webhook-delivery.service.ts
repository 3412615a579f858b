import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, OnModuleDestroy } from '@nestjs/common';
import axios, { AxiosInstance } from 'axios';
import { Queue } from 'bullmq';
import http from 'node:http';
import https from 'node:https';
import { decryptSecret } from '@/common/crypto/secret-box';
import { webhookHeaders } from '@/common/crypto/standard-webhooks';
import { NotFoundError } from '@/common/errors/app-error';
import { OutboundBlockedError, OutboundGuard } from '@/common/net/outbound-guard';
import { AppConfig } from '@/config/app-config';
import { Instance } from '@/generated/prisma/client';
import { DeliverPayload } from '@/queue/job-payloads';
import { JobName, QueueName } from '@/queue/queue-names';
import { DeliveryRepository, DeliveryWithInstance } from './delivery.repository';

const MAX_REDIRECTS = 3;
/** Room beyond the longest possible POST for reading the delivery and recording the outcome. */
const LEASE_MARGIN_MS = 5000;
/**
 * A delivery counts as due this much before its time, as the host that set the time and the worker that claims may
 * disagree slightly on the clock. Early is harmless: the lease, not the due time, keeps two attempts apart.
 */
const CLOCK_SKEW_MS = 1000;
/** The sweeper leaves a due delivery this long to its own job before queuing another one. */
const SWEEP_GRACE_MS = 5000;

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
  /** The longest an attempt posts: WEBHOOK_TIMEOUT_MS per hop (redirects included), even for an answer that trickles in. */
  private readonly postBudgetMs: number;

  constructor(
    private readonly deliveries: DeliveryRepository,
    private readonly config: AppConfig,
    private readonly guard: OutboundGuard,
    @InjectQueue(QueueName.WebhookDelivery) private readonly queue: Queue<DeliverPayload>,
  ) {
    this.agents = {
      http: new http.Agent({ keepAlive: true, lookup: this.guard.lookup }),
      https: new https.Agent({ keepAlive: true, lookup: this.guard.lookup }),
    };
    this.postBudgetMs = (MAX_REDIRECTS + 1) * config.get('WEBHOOK_TIMEOUT_MS');
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
  async record(
    instance: Instance,
    clientWebhookUrl: string | null,
    event: string,
    payload: object,
    dedupeKey: string | null,
  ): Promise<void> {
    const url = instance.webhookEnabled ? (instance.webhookUrl ?? clientWebhookUrl) : null;
    const subscribed = instance.webhookEvents.length === 0 || instance.webhookEvents.includes(subscriptionName(event));
    if (!url || !subscribed) return;
    const target = { clientId: instance.clientId, instanceId: instance.id, event, payload, url };
    const stored = await this.deliveries.recordEventForSystem(instance.id, dedupeKey, event, target);
    if (stored && stored !== 'duplicate') await this.enqueue(stored.clientId, stored.id, stored.nextAttemptAt!);
  }

  /**
   * One attempt, when the delivery is due and no other attempt holds it; schedules the next one or marks the delivery
   * dead. Any job may call this any number of times: a stale or repeated job finds nothing to claim and does nothing.
   * An attempt that ends without recording its outcome (a crash, Postgres gone) is repeated once its lease has run
   * out, under the same webhook-id.
   */
  async attempt(clientId: number, deliveryId: string): Promise<void> {
    const now = new Date();
    const leaseUntil = new Date(now.getTime() + this.postBudgetMs + LEASE_MARGIN_MS);
    if (
      !(await this.deliveries.claimForClient(
        clientId,
        deliveryId,
        now,
        new Date(now.getTime() + CLOCK_SKEW_MS),
        leaseUntil,
      ))
    )
      return;
    const delivery = await this.deliveries.findForClient(clientId, deliveryId);
    if (!delivery) return;
    const body = JSON.stringify(delivery.payload);
    const result = await this.post(
      delivery.url,
      body,
      webhookHeaders(this.signingSecrets(delivery.instance), delivery.id, body),
    );
    if (result.ok) {
      await this.deliveries.recordSuccessForClient(clientId, deliveryId, result.statusCode!);
      return;
    }
    const schedule = this.config.webhookRetryDelaysMs;
    const wait = schedule[delivery.attempts];
    const next = wait === undefined ? null : new Date(Date.now() + wait);
    await this.deliveries.recordFailureForClient(clientId, deliveryId, result.statusCode, result.error, next);
    if (next) await this.enqueue(clientId, deliveryId, next);
  }

  /** The current secret, and the previous one while its rotation's grace period runs. */
  private signingSecrets(instance: DeliveryWithInstance['instance']): string[] {
    const key = this.config.encryptionKey;
    const previous = instance.webhookSecretPreviousEncrypted;
    const graceRuns =
      previous && instance.webhookSecretPreviousExpiresAt && instance.webhookSecretPreviousExpiresAt > new Date();
    return [decryptSecret(instance.webhookSecretEncrypted, key), ...(graceRuns ? [decryptSecret(previous, key)] : [])];
  }

  async redeliver(clientId: number, deliveryId: string): Promise<void> {
    const dueAt = new Date();
    const rows = await this.deliveries.resetForClient(clientId, { id: deliveryId }, dueAt);
    if (rows.length === 0) throw new NotFoundError(`Delivery ${deliveryId} does not exist`, 'DELIVERY_NOT_FOUND');
    await this.enqueue(clientId, deliveryId, dueAt);
  }

  async redeliverDeadSince(clientId: number, since: Date, instanceIds?: string[]): Promise<number> {
    const dueAt = new Date();
    const rows = await this.deliveries.resetForClient(
      clientId,
      { status: 'dead', createdAt: { gte: since }, instanceId: instanceIds ? { in: instanceIds } : undefined },
      dueAt,
    );
    for (const row of rows) await this.enqueue(clientId, row.id, dueAt);
    return rows.length;
  }

  /**
   * Queues every delivery that is due and that no attempt holds: its job was lost with Redis, failed all its tries
   * while Postgres was unreachable, or belonged to a crashed attempt. Postgres holds every delivery and its next attempt.
   */
  async sweepDue(): Promise<number> {
    const due = await this.deliveries.listDueForSystem(new Date(Date.now() - SWEEP_GRACE_MS), 500);
    for (const d of due) await this.enqueue(d.clientId, d.id, d.nextAttemptAt!);
    return due.length;
  }

  /**
   * Queues the wake-up for the delivery's attempt due at `dueAt`. The job only says "look at this delivery then";
   * Postgres decides whether an attempt happens (claimForClient), so a duplicate job is harmless.
   *
   * The job id names the delivery and the due time, so the retry chain, the sweeper and a redelivery agree on it while
   * the job waits (adding under a taken id does nothing). A finished job is removed at once, failed ones included:
   * BullMQ keeps an id taken as long as it keeps the job, and a failed job kept for days made the sweeper's re-add a
   * silent no-op, so a delivery whose job failed its three tries (Postgres unreachable) was never attempted again.
   * Nothing is lost by not keeping them: the delivery row holds the attempts and the last error.
   */
  private async enqueue(clientId: number, deliveryId: string, dueAt: Date): Promise<void> {
    await this.queue.add(
      JobName.Deliver,
      { clientId, deliveryId },
      {
        jobId: `delivery-${deliveryId}-${dueAt.getTime()}`,
        delay: Math.max(0, dueAt.getTime() - Date.now()),
        attempts: 3,
        backoff: { type: 'exponential', delay: 1000 },
        removeOnComplete: true,
        removeOnFail: true,
      },
    );
  }

  private async post(url: string, body: string, headers: Record<string, string>): Promise<AttemptResult> {
    // The attempt's lease outlasts this budget, so no second attempt can start while this one still posts.
    const deadline = AbortSignal.timeout(this.postBudgetMs);
    let target = url;
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      try {
        this.guard.checkUrl(target);
        const res = await this.http.post(target, body, { headers, signal: deadline });
        if (res.status >= 200 && res.status < 300) return { ok: true, statusCode: res.status, error: '' };
        const location: unknown = res.headers.location;
        if (res.status >= 300 && res.status < 400 && typeof location === 'string') {
          target = new URL(location, target).toString();
          continue;
        }
        return { ok: false, statusCode: res.status, error: `endpoint answered ${res.status}` };
      } catch (err) {
        const blocked =
          err instanceof OutboundBlockedError || (err as { cause?: unknown }).cause instanceof OutboundBlockedError;
        const message = deadline.aborted
          ? `no answer within ${this.postBudgetMs} ms`
          : err instanceof Error
            ? err.message
            : String(err);
        return { ok: false, statusCode: null, error: blocked ? `refused: ${message}` : message };
      }
    }
    return { ok: false, statusCode: null, error: `more than ${MAX_REDIRECTS} redirects` };
  }
}
