import { Injectable, Logger } from '@nestjs/common';
import { MessageRepository, StatusOutcome, UpstreamStatus } from './message.repository';
import { furthest } from './message-status';

/** Most statuses one statement applies; more wait for the next one. */
const MAX_BATCH = 500;
/** A batch that lost a deadlock (possible with several gateway processes) is tried again this often. */
const DEADLOCK_RETRIES = 3;

interface Waiting {
  item: UpstreamStatus;
  resolve: (outcome: StatusOutcome) => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit for upstream statuses: every status the receiver gets while a batch is being written joins the next
 * batch, and each caller is answered once its batch is committed, so nothing is acknowledged before it is stored.
 * At low load a batch is one status and costs no wait; under load, one statement applies hundreds.
 */
@Injectable()
export class StatusBatcherService {
  private readonly logger = new Logger(StatusBatcherService.name);
  private waiting: Waiting[] = [];
  private writing = false;

  constructor(private readonly messages: MessageRepository) {}

  apply(item: UpstreamStatus): Promise<StatusOutcome> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.next();
    });
  }

  private next(): void {
    if (this.writing || this.waiting.length === 0) return;
    this.writing = true;
    // Lets the statuses of requests already read in this turn of the event loop join the batch.
    setImmediate(() => void this.write());
  }

  private async write(): Promise<void> {
    const batch = this.waiting.splice(0, MAX_BATCH);
    try {
      const merged = mergeByMessage(batch.map((w) => w.item));
      const outcomes = await this.withDeadlockRetry(() => this.messages.applyUpstreamStatusesForSystem(merged.items));
      batch.forEach((w, i) => w.resolve(outcomes[merged.indexOf[i]!]!));
    } catch (err) {
      for (const w of batch) w.reject(err);
    } finally {
      this.writing = false;
      this.next();
    }
  }

  private async withDeadlockRetry<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if ((err as { code?: string }).code !== '40P01' || attempt >= DEADLOCK_RETRIES) throw err;
        this.logger.warn('A status batch lost a deadlock; trying again');
      }
    }
  }
}

/**
 * One status per message, as the batch statement needs (see `furthest`). `indexOf` maps each input to its merged item.
 */
export function mergeByMessage(items: UpstreamStatus[]): { items: UpstreamStatus[]; indexOf: number[] } {
  const merged: UpstreamStatus[] = [];
  const byKey = new Map<string, number>();
  const indexOf = items.map((item) => {
    const key = `${item.instanceId}\u0000${item.upstreamMessageId}`;
    const at = byKey.get(key);
    if (at === undefined) {
      byKey.set(key, merged.length);
      merged.push({ ...item });
      return merged.length - 1;
    }
    const current = merged[at]!;
    current.status = furthest(current.status, item.status);
    return at;
  });
  return { items: merged, indexOf };
}
