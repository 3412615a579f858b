import { Injectable, Logger } from '@nestjs/common';
import { LiveEventPublisher } from '@/modules/events/live-event-publisher.service';
import { BulkRepository } from './bulk.repository';
import { BulkRecipientRepository } from './bulk-recipient.repository';

/** The gateway's own live event: where a bulk stands, after each change of status and as recipients are sent. */
export const BULK_PROGRESS_EVENT = 'bulk.progress';

/**
 * Between recipients a bulk is announced at most this often: each announcement reads the bulk and counts its
 * recipients, which after every recipient of a 10,000-recipient bulk would cost more than sending it.
 */
const PROGRESS_EVERY_MS = 1000;
/** Bulks whose last announcement time is kept (a running bulk is announced every second, so few are). */
const TIMES_KEPT = 10_000;

/**
 * Announces a bulk's progress to `/ws` sockets: `{bulk_id, status, sent, failed, pending}` read from Postgres (the
 * bulk's source of truth) at the time, so an announcement that overtakes another still shows a true state.
 */
@Injectable()
export class BulkProgressService {
  private readonly logger = new Logger(BulkProgressService.name);
  private readonly announcedAt = new Map<string, number>();

  constructor(
    private readonly bulks: BulkRepository,
    private readonly recipients: BulkRecipientRepository,
    private readonly live: LiveEventPublisher,
  ) {}

  /** After a recipient: announced unless this process announced the bulk less than PROGRESS_EVERY_MS ago. */
  async announceProgress(clientId: number, bulkId: string): Promise<void> {
    if (Date.now() - (this.announcedAt.get(bulkId) ?? 0) < PROGRESS_EVERY_MS) return;
    await this.announce(clientId, bulkId);
  }

  /** A change of status, always announced. Never throws: progress is a convenience, the bulk's work goes on. */
  async announce(clientId: number, bulkId: string): Promise<void> {
    if (this.announcedAt.size >= TIMES_KEPT) this.announcedAt.clear();
    this.announcedAt.set(bulkId, Date.now());
    // Most bulks have no dashboard watching: then the bulk is not read at all.
    if (!(await this.live.watched(clientId))) return;
    try {
      const bulk = await this.bulks.findForClient(clientId, bulkId);
      if (!bulk) return;
      const counts = await this.recipients.countsForClient(clientId, bulkId);
      await this.live.publish(
        { clientId, instanceId: bulk.instanceId },
        {
          event: BULK_PROGRESS_EVENT,
          instance: bulk.instance.name,
          data: {
            bulk_id: bulk.id,
            status: bulk.status,
            sent: counts.sent + counts.delivered + counts.read,
            failed: counts.failed,
            pending: counts.pending + counts.sending,
          },
          date_time: new Date().toISOString(),
        },
      );
    } catch (err) {
      this.logger.warn(
        { bulkId, clientId, err: err instanceof Error ? err.message : String(err) },
        'Could not announce bulk progress',
      );
    }
  }
}
