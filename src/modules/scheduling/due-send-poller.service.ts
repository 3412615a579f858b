import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { AppError, RateLimitedError } from '@/common/errors/app-error';
import { AppConfig } from '@/config/app-config';
import { EvolutionError } from '@/integrations/evolution/evolution.errors';
import { limitsOf } from '@/modules/auth/auth-context';
import { BulkProgressService } from '@/modules/bulk/bulk-progress.service';
import { BulkQueueService } from '@/modules/bulk/bulk-queue.service';
import { BulkScheduleRepository } from '@/modules/bulk/bulk-schedule.repository';
import { ScheduledSendRepository } from '@/modules/messages/scheduled-send.repository';
import { SendPayload, SendService } from '@/modules/messages/send.service';

/** How often the worker looks for due messages and bulks: a scheduled send leaves at most this late. */
const POLL_EVERY_MS = 500;
/** Due rows claimed per look. */
const BATCH = 50;
/**
 * How long a claimed message is held before another poller may take it: from the claim to the row moving to
 * `queued` is one cap and pacing round trip, so only a poller that died in between leaves a row for this long.
 */
const CLAIM_LEASE_MS = 30000;

/**
 * Sends scheduled messages and starts scheduled bulks when they are due, from Postgres (the record: a restart or a
 * Redis flush loses nothing). A due message goes out through SendService.deliver, so pacing, the daily cap and every
 * other check apply as for a send made then; a due bulk is queued and driven as any other.
 */
@Injectable()
export class DueSendPollerService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(DueSendPollerService.name);
  private timer?: NodeJS.Timeout;
  private polling = false;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly scheduled: ScheduledSendRepository,
    private readonly sender: SendService,
    private readonly bulkSchedule: BulkScheduleRepository,
    private readonly bulkQueue: BulkQueueService,
    private readonly bulkProgress: BulkProgressService,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.poll(), POLL_EVERY_MS);
    this.timer.unref();
  }

  /** Stops looking and waits for the sends in hand, while Postgres, Redis and the upstream are still there. */
  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await Promise.allSettled([...this.inFlight]);
  }

  async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const now = new Date();
      for (const bulk of await this.bulkSchedule.startDueForSystem(now, BATCH)) {
        await this.bulkProgress.announce(bulk.clientId, bulk.id);
        await this.bulkQueue.drive(bulk.clientId, bulk.id);
      }
      for (const due of await this.scheduled.claimDueForSystem(now, BATCH, CLAIM_LEASE_MS)) {
        const sending = this.sendDue(due.clientId, due.messageId).finally(() => this.inFlight.delete(sending));
        this.inFlight.add(sending);
      }
    } catch (err) {
      this.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'Due send poll failed');
    } finally {
      this.polling = false;
    }
  }

  private async sendDue(clientId: number, messageId: bigint): Promise<void> {
    try {
      const due = await this.scheduled.findDueForClient(clientId, messageId);
      if (!due) return;
      const { message } = due;
      const { instance } = message;
      if (instance.deletedAt) {
        await this.scheduled.closeForClient(
          clientId,
          messageId,
          'failed',
          'instance deleted before the message was due',
        );
        return;
      }
      await this.sender.deliver({
        instance,
        limits: limitsOf(instance.client),
        recipient: { value: message.number, kind: message.number.endsWith('@g.us') ? 'group' : 'phone' },
        messageType: message.messageType,
        source: message.source,
        scheduledMessageId: messageId,
        expiresAt: due.expiresAt ?? undefined,
        maxWaitMs: this.config.get('SEND_MAX_WAIT_MS'),
        send: this.sender.upstreamSend(instance, due.payload as SendPayload),
      });
    } catch (err) {
      await this.settleRefusal(clientId, messageId, err).catch((settleErr: unknown) =>
        this.logger.warn(
          { clientId, messageId: messageId.toString(), err: String(settleErr) },
          'Could not record a due send’s outcome; its claim lapses and it is tried again',
        ),
      );
    }
  }

  /**
   * A due send that did not start (the row is still `scheduled`): an instance pacing too far ahead moves it to its
   * slot; any other refusal (daily cap, a disconnected instance) fails it with the reason, as it would a send made
   * then. Trouble of the gateway's own (Postgres or Redis down) leaves it to be claimed again when its lease lapses.
   * Once started, deliver has recorded the outcome itself and nothing here changes it.
   */
  private async settleRefusal(clientId: number, messageId: bigint, err: unknown): Promise<void> {
    if (err instanceof RateLimitedError && err.code === 'INSTANCE_PACING') {
      await this.scheduled.postponeForClient(clientId, messageId, new Date(Date.now() + err.retryAfterSeconds * 1000));
      return;
    }
    if (!(err instanceof AppError) && !(err instanceof EvolutionError)) throw err;
    await this.scheduled.closeForClient(clientId, messageId, 'failed', err.message);
  }
}
