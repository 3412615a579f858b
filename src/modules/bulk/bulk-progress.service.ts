import { Injectable, Logger } from '@nestjs/common';
import { LiveEventPublisher } from '@/modules/events/live-event-publisher.service';
import { BulkRepository } from './bulk.repository';

/** The gateway's own live event: where a bulk stands, after each recipient and each change of status. */
export const BULK_PROGRESS_EVENT = 'bulk.progress';

/**
 * Announces a bulk's progress to `/ws` sockets: `{bulk_id, status, sent, failed, pending}` read from Postgres (the
 * bulk's source of truth) at the time, so an announcement that overtakes another still shows a true state.
 */
@Injectable()
export class BulkProgressService {
  private readonly logger = new Logger(BulkProgressService.name);

  constructor(
    private readonly bulks: BulkRepository,
    private readonly live: LiveEventPublisher,
  ) {}

  /** Never throws: progress is a convenience, and the bulk's own work must not fail because of it. */
  async announce(clientId: number, bulkId: string): Promise<void> {
    try {
      const bulk = await this.bulks.findForClient(clientId, bulkId);
      if (!bulk) return;
      const counts = await this.bulks.countsForClient(clientId, bulkId);
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
