/** BullMQ queue and job names. Producers and processors import these, never string literals. */
export const QueueName = {
  Maintenance: 'maintenance',
  InstanceTokens: 'instance-tokens',
  UpstreamEvents: 'upstream-events',
  Bulk: 'bulk',
  WebhookDelivery: 'webhook-delivery',
} as const;
export type QueueName = (typeof QueueName)[keyof typeof QueueName];

export const JobName = {
  PurgeExpired: 'purge-expired',
  RefreshToken: 'refresh-token',
  CheckDrift: 'check-drift',
  ApplyStatus: 'apply-status',
  CheckRestriction: 'check-restriction',
  RunBulk: 'run-bulk',
  ResumeBulk: 'resume-bulk',
  Deliver: 'deliver',
} as const;
