import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '@/config/app-config';
import { MaintenanceRepository } from './maintenance.repository';

/** The upstream repeats an event for at most ~20 minutes (contract §4.3); a week of de-duplication keys is ample. */
export const UPSTREAM_EVENT_RETENTION_MS = 7 * 24 * 3600 * 1000;

const DAY_MS = 24 * 3600 * 1000;

export interface Purged {
  idempotencyKeys: number;
  upstreamEvents: number;
  webhookDeliveries: number;
}

@Injectable()
export class MaintenanceService {
  private readonly logger = new Logger(MaintenanceService.name);

  constructor(
    private readonly repository: MaintenanceRepository,
    private readonly config: AppConfig,
  ) {}

  /**
   * Deletes what has expired: idempotency keys, de-duplication keys, and settled webhook deliveries (with the message
   * contents in their payloads) older than PAYLOAD_RETENTION_DAYS. Deliveries still being retried are kept.
   */
  async purgeExpired(now = new Date()): Promise<Purged> {
    const idempotencyKeys = await this.repository.deleteExpiredIdempotencyKeys(now);
    const upstreamEvents = await this.repository.deleteUpstreamEventsBefore(
      new Date(now.getTime() - UPSTREAM_EVENT_RETENTION_MS),
    );
    const payloadCutoff = new Date(now.getTime() - this.config.get('PAYLOAD_RETENTION_DAYS') * DAY_MS);
    const webhookDeliveries = await this.repository.deleteSettledDeliveriesBefore(payloadCutoff);
    this.logger.log({ idempotencyKeys, upstreamEvents, webhookDeliveries }, 'Purged expired rows');
    return { idempotencyKeys, upstreamEvents, webhookDeliveries };
  }
}
