import { Injectable, Logger } from '@nestjs/common';
import { MaintenanceRepository } from './maintenance.repository';

/** The upstream repeats an event for at most ~20 minutes (contract §4.3); a week of de-duplication keys is ample. */
export const UPSTREAM_EVENT_RETENTION_MS = 7 * 24 * 3600 * 1000;

@Injectable()
export class MaintenanceService {
  private readonly logger = new Logger(MaintenanceService.name);

  constructor(private readonly repository: MaintenanceRepository) {}

  async purgeExpired(now = new Date()): Promise<{ idempotencyKeys: number; upstreamEvents: number }> {
    const idempotencyKeys = await this.repository.deleteExpiredIdempotencyKeys(now);
    const upstreamEvents = await this.repository.deleteUpstreamEventsBefore(new Date(now.getTime() - UPSTREAM_EVENT_RETENTION_MS));
    this.logger.log({ idempotencyKeys, upstreamEvents }, 'Purged expired rows');
    return { idempotencyKeys, upstreamEvents };
  }
}
