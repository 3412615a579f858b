import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConflictError, RateLimitedError } from '@/common/errors/app-error';
import { Recipient } from '@/common/phone/phone';
import { AppConfig } from '@/config/app-config';
import { storeDespiteOutage } from '@/database/store-despite-outage';
import { EvolutionClient, instanceAuth } from '@/integrations/evolution/evolution.client';
import { EvolutionError } from '@/integrations/evolution/evolution.errors';
import { limitsOf } from '@/modules/auth/auth-context';
import { INSTANCE_RESTRICTED, restrictionOf } from '@/modules/instances/instance-restriction';
import { nextUtcMidnight } from '@/modules/limits/daily-cap.service';
import { SendService } from '@/modules/messages/send.service';
import { MessageExpiredError } from '@/modules/messages/send-timing';
import { NumberCheckService } from '@/modules/numbers/number-check.service';
import { OptedOutError, OptOutsService } from '@/modules/opt-outs/opt-outs.service';
import { UpstreamPool } from '@/modules/upstreams/upstream-pool.service';
import { BulkForRun, BulkRepository } from './bulk.repository';
import { BulkService } from './bulk.service';
import { BulkProgressService } from './bulk-progress.service';
import { BulkQueueService } from './bulk-queue.service';
import {
  DAILY_CAP_REASON,
  DISCONNECTED_REASON,
  NOT_ON_WHATSAPP,
  OPTED_OUT,
  restrictedPauseReason,
  UPSTREAM_DOWN_PAUSE_REASON,
} from './bulk-reasons';
import { BulkRecipientRepository, ClaimedRecipient } from './bulk-recipient.repository';
import { BulkScheduleRepository } from './bulk-schedule.repository';
import { BulkTemplate, Variables } from './content-guard';

/** A bulk send waits this long at most for one pacing slot before checking its status (and lease) again. */
const SLOT_WAIT_MS = 8000;
const MAX_ATTEMPTS = 4;

/**
 * Sends a bulk's recipients in order through the instance's shared pacing (so bulks and single sends on one instance
 * interleave without breaking its gap), reading and writing every recipient's state in Postgres. It stops when the
 * bulk is paused, cancelled or done; any worker can pick it up again from where Postgres says it is.
 */
@Injectable()
export class BulkRunnerService {
  private readonly logger = new Logger(BulkRunnerService.name);
  /** Set when the process shuts down: drivers finish the recipient in hand and hand their bulk back. */
  private stopping = false;

  constructor(
    private readonly bulks: BulkRepository,
    private readonly recipients: BulkRecipientRepository,
    private readonly sender: SendService,
    private readonly evolution: EvolutionClient,
    private readonly queue: BulkQueueService,
    private readonly bulkService: BulkService,
    private readonly progress: BulkProgressService,
    private readonly numbers: NumberCheckService,
    private readonly optOuts: OptOutsService,
    config: AppConfig,
    private readonly schedule: BulkScheduleRepository,
    private readonly pool: UpstreamPool,
  ) {
    this.leaseMs = config.get('BULK_LEASE_MS');
  }

  /** A dead driver's bulk is taken over when its lease expires; a live one renews it while a recipient is in hand. */
  private readonly leaseMs: number;

  stop(): void {
    this.stopping = true;
  }

  async run(clientId: number, bulkId: string): Promise<void> {
    const bulk = await this.bulks.findForRun(clientId, bulkId);
    if (!bulk || (bulk.status !== 'queued' && bulk.status !== 'running')) return;
    // A delete whose own cancel did not run (the process stopped right after it) is caught up here.
    if (bulk.instance.deletedAt) return this.bulkService.cancelForDeletedInstance(clientId, bulk.instanceId);
    const owner = randomUUID();
    try {
      // Without the lease, a second driver (started after Redis lost the first one's job) would take the first's
      // in-flight recipient and send it twice while the first is still sending it.
      if (!(await this.bulks.leaseForClient(clientId, bulkId, owner, this.leaseMs))) return;
      await this.bulks.markStartedForClient(clientId, bulkId);
      await this.progress.announce(clientId, bulkId);
      const template = new BulkTemplate(bulk.message);
      // Stopping leaves the bulk running in Postgres with its lease released: the re-drive of a live worker (or of
      // this one when it starts again) continues it from the next unsent recipient.
      while (!this.stopping) {
        const recipient = await this.recipients.claimNextForClient(clientId, bulkId, owner, this.leaseMs);
        if (recipient === 'stop') return;
        if (!recipient) {
          if (await this.bulks.completeIfDoneForClient(clientId, bulkId))
            await this.progress.announce(clientId, bulkId);
          return;
        }
        const outcome = await this.holdingLease(clientId, bulkId, owner, () => this.sendOne(bulk, template, recipient));
        if (outcome === 'stop') return this.progress.announce(clientId, bulkId);
        await this.progress.announceProgress(clientId, bulkId);
      }
    } finally {
      await this.bulks.releaseLeaseForClient(clientId, bulkId, owner).catch(() => undefined);
    }
  }

  /**
   * Renews the lease while a recipient is in hand: its slot wait, the upstream call (timeout plus any delay) and a
   * retry's backoff can outlast one lease, and an expired lease would let a second driver send the same recipient.
   */
  private async holdingLease<T>(clientId: number, bulkId: string, owner: string, work: () => Promise<T>): Promise<T> {
    const renew = setInterval(
      () => {
        this.bulks.leaseForClient(clientId, bulkId, owner, this.leaseMs).then(
          (held) =>
            held || this.logger.warn({ bulkId, clientId }, 'Bulk lease taken over while a recipient was in hand'),
          (err: unknown) =>
            this.logger.warn(
              { bulkId, clientId, err: err instanceof Error ? err.message : String(err) },
              'Bulk lease renewal failed',
            ),
        );
      },
      Math.floor(this.leaseMs / 3),
    );
    try {
      return await work();
    } finally {
      clearInterval(renew);
    }
  }

  /** Resumes a bulk the daily cap paused, when the cap frees (a delayed job). */
  async resumeAfterCap(clientId: number, bulkId: string): Promise<void> {
    const bulk = await this.bulks.findForClient(clientId, bulkId);
    if (bulk?.status !== 'paused' || !bulk.pauseReason?.startsWith(DAILY_CAP_REASON)) return;
    if (await this.bulks.transitionForClient(clientId, bulkId, ['paused'], 'running')) {
      await this.progress.announce(clientId, bulkId);
      await this.queue.drive(clientId, bulkId);
    }
  }

  /** Re-drives every bulk that should be running: after a worker crash or a Redis loss, Postgres says what is left. */
  async redriveActive(): Promise<number> {
    const active = await this.bulks.listActiveForSystem();
    for (const bulk of active) await this.queue.drive(bulk.clientId, bulk.id);
    return active.length;
  }

  private async sendOne(
    bulk: BulkForRun,
    template: BulkTemplate,
    recipient: ClaimedRecipient,
  ): Promise<'next' | 'stop'> {
    const { instance } = bulk;
    const { clientId } = bulk;
    const { id, number, attempts, logged } = recipient;
    if (logged?.upstreamMessageId) {
      // The worker that sent it stopped after the upstream accepted it and before the recipient was settled.
      await this.recipients.finishRecipientForClient(clientId, id, 'sent', null, null);
      return 'next';
    }
    // Checked right before the send; a recipient with an interrupted attempt is expired by deliver, which closes its row.
    if (bulk.expiresAt && bulk.expiresAt.getTime() <= Date.now() && !logged) return this.expire(bulk, id);
    // Rendered only now: the bulk keeps the template once and each recipient's variables, never the filled-in texts.
    const rendered = template.render((recipient.variables ?? undefined) as Variables | undefined);
    if (!rendered.ok) {
      await this.recipients.finishRecipientForClient(clientId, id, 'failed', null, rendered.reason);
      return 'next';
    }
    const limits = limitsOf(instance.client);
    try {
      const to: Recipient = { value: number, kind: number.endsWith('@g.us') ? 'group' : 'phone' };
      // Looked up right before its send, through the number checks' cache and per-minute limit (a 429 there waits
      // like a pacing slot, below); a number that opted out is skipped as such (deliver checks it too) before any
      // WhatsApp lookup.
      if (bulk.checkNumbers) {
        await this.optOuts.assertReachable(clientId, to);
        if (!(await this.numbers.hasWhatsApp(instance, number))) {
          await this.recipients.finishRecipientForClient(clientId, id, 'skipped', null, NOT_ON_WHATSAPP);
          return 'next';
        }
      }
      const message = await this.sender.deliver({
        instance,
        limits: { ...limits, sendIntervalMs: Math.max(bulk.delayMs, limits.sendIntervalMs) },
        recipient: to,
        messageType: 'text',
        source: 'bulk',
        bulkId: bulk.id,
        bulkRecipientId: id,
        // A row still `queued` is an attempt a crash or an outage interrupted: it is sent again under that row.
        interruptedMessageId: logged?.status === 'queued' ? (recipient.messageId ?? undefined) : undefined,
        maxWaitMs: SLOT_WAIT_MS,
        expiresAt: bulk.expiresAt ?? undefined,
        send: (to) =>
          this.evolution.sendText(instance.name, instanceAuth(instance.id), { number: to, text: rendered.text }),
      });
      // Sent: recorded even across a database outage, or the recipient would be claimed and sent again.
      await storeDespiteOutage(
        () => this.recipients.finishRecipientForClient(clientId, id, 'sent', BigInt(message.id), null),
        () =>
          this.logger.warn(
            { bulkId: bulk.id, clientId },
            'Database unreachable: holding a sent bulk recipient until it is back',
          ),
      );
      return 'next';
    } catch (err) {
      return this.handleFailure(bulk, id, attempts, err);
    }
  }

  private async handleFailure(bulk: BulkForRun, id: bigint, attempts: number, err: unknown): Promise<'next' | 'stop'> {
    const clientId = bulk.clientId;
    if (err instanceof MessageExpiredError) return this.expire(bulk, id);
    if (err instanceof OptedOutError) {
      // Refused before any cap unit, pacing slot or log row was taken: the recipient is skipped, not failed.
      await this.recipients.finishRecipientForClient(clientId, id, 'skipped', null, OPTED_OUT);
      return 'next';
    }
    if (err instanceof RateLimitedError && err.code === 'DAILY_CAP_REACHED') {
      // Recipients past the cap wait for the next day, shown as such.
      const frees = nextUtcMidnight(new Date());
      await this.pause(bulk, id, `${DAILY_CAP_REASON}; resumes at ${frees.toISOString()}`);
      await this.queue.resumeAt(clientId, bulk.id, frees);
      return 'stop';
    }
    if (err instanceof RateLimitedError) {
      // The instance's next slot is further out than one slot wait (a long `delay`, or other bulks on the instance):
      // nothing was sent, so the claim does not count as an attempt; wait for the slot to come nearer, then claim
      // again (which also re-checks the bulk's status and renews the lease).
      await this.recipients.releaseRecipientForClient(clientId, id, null, { uncountAttempt: true });
      await sleep(Math.min(Math.max(err.retryAfterSeconds * 1000 - SLOT_WAIT_MS / 2, 100), SLOT_WAIT_MS));
      return 'next';
    }
    const restriction = restrictionOf(bulk.instance);
    if (restriction && err instanceof ConflictError && err.code === INSTANCE_RESTRICTED) {
      // Started on an instance already restricted: it waits, as a bulk the restriction paused mid-way does.
      await this.pause(bulk, id, restrictedPauseReason(restriction));
      return 'stop';
    }
    if (err instanceof EvolutionError && err.kind === 'connection_closed') {
      await this.pause(bulk, id, `${DISCONNECTED_REASON}: reconnect it by scanning a new QR code and the bulk resumes`);
      return 'stop';
    }
    if (err instanceof EvolutionError && err.kind === 'upstream_down') {
      // Nothing was sent. The pool resumes the bulk when the server answers again; if it already does (it recovered
      // while this send was refused), the resume happens now, since that recovery's resume may have missed it.
      await this.pause(bulk, id, UPSTREAM_DOWN_PAUSE_REASON);
      if (bulk.instance.upstreamId !== null && this.pool.healthyIds().includes(bulk.instance.upstreamId))
        await this.bulkService.resumeAfterUpstreamRecovery(bulk.instance.upstreamId);
      return 'stop';
    }
    const reason = err instanceof Error ? err.message : String(err);
    if (err instanceof EvolutionError && err.retryable && attempts < MAX_ATTEMPTS) {
      await this.recipients.releaseRecipientForClient(clientId, id, reason);
      await sleep(1000 * 2 ** (attempts - 1));
      return 'next';
    }
    if (!(err instanceof EvolutionError) && !(err instanceof Error && 'status' in err)) {
      // Not an answer about this recipient (database or Redis trouble): let the job fail and BullMQ retry it.
      await this.recipients.releaseRecipientForClient(clientId, id, reason).catch(() => undefined);
      this.logger.warn(
        { bulkId: bulk.id, clientId, err: reason },
        'Bulk driver stopped by an internal error; it will be retried',
      );
      throw err;
    }
    await this.recipients.finishRecipientForClient(clientId, id, 'failed', null, reason);
    return 'next';
  }

  /**
   * The bulk's expiry passed: the recipient in hand and every one still waiting are expired, never sent; the next
   * claim finds none left and completes the bulk.
   */
  private async expire(bulk: BulkForRun, id: bigint): Promise<'next'> {
    const reason = `expired: the bulk expired at ${bulk.expiresAt!.toISOString()} before this recipient's turn`;
    await this.recipients.finishRecipientForClient(bulk.clientId, id, 'expired', null, reason);
    await this.schedule.expirePendingForClient(bulk.clientId, bulk.id, reason);
    return 'next';
  }

  /** Gives the recipient in hand back and pauses the running bulk, saying why. */
  private async pause(bulk: BulkForRun, recipientId: bigint, reason: string): Promise<void> {
    await this.recipients.releaseRecipientForClient(bulk.clientId, recipientId);
    await this.bulks.transitionForClient(bulk.clientId, bulk.id, ['running'], 'paused', reason);
  }
}
