import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { BulkProgressService } from '@/modules/bulk/bulk-progress.service';
import { DailyCapService } from '@/modules/limits/daily-cap.service';
import { ExpirySweepRepository, SweepLimits, SweepOutcome } from './expiry-sweep.repository';

/** How often the worker sweeps: what expires while nothing looks at it is marked so at most this late. */
const SWEEP_EVERY_MS = 1000;
/** One sweep's bounds; a longer backlog (a large bulk) is worked off by the next sweeps. */
const LIMITS: SweepLimits = { messages: 500, bulks: 100, recipients: 5000 };

/**
 * Marks `expired` what passed its expiry while waiting: a scheduled message pushed past it, and the unsent recipients
 * of a bulk that is paused (by request, a disconnect, a restriction, the daily cap) or queued, completing the bulk
 * when nothing is left to send, so that a later resume sends nothing to them. Runs beside the due-send poller in
 * every worker; concurrent sweeps skip each other's rows.
 */
@Injectable()
export class ExpirySweepService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(ExpirySweepService.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<SweepOutcome | undefined>;

  constructor(
    private readonly sweeps: ExpirySweepRepository,
    private readonly progress: BulkProgressService,
    private readonly caps: DailyCapService,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.sweep(), SWEEP_EVERY_MS);
    this.timer.unref();
  }

  /** Stops sweeping and waits for the sweep in hand, while Postgres and Redis are still there. */
  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One sweep, unless one is running (then undefined). Never throws: the next sweep tries again. */
  sweep(now = new Date()): Promise<SweepOutcome | undefined> {
    if (this.running) return Promise.resolve(undefined);
    this.running = this.sweepOnce(now).finally(() => (this.running = undefined));
    return this.running;
  }

  private async sweepOnce(now: Date): Promise<SweepOutcome | undefined> {
    try {
      const outcome = await this.sweeps.sweepForSystem(now, LIMITS);
      // Best effort: without Redis the cap is re-seeded from the rollups, which no longer count these attempts.
      for (const attempt of outcome.closedAttempts)
        await this.caps.giveBack(attempt.instanceId, attempt.createdAt).catch(() => undefined);
      for (const bulk of outcome.bulks) await this.progress.announce(bulk.clientId, bulk.id);
      if (outcome.messages > 0 || outcome.bulks.length > 0) {
        this.logger.log(
          { messages: outcome.messages, bulks: outcome.bulks.length, completed: outcome.completed },
          'Expired what passed its expiry while waiting',
        );
      }
      return outcome;
    } catch (err) {
      this.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'Expiry sweep failed');
      return undefined;
    }
  }
}
