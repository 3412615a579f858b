import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { Queue, QueueEvents } from 'bullmq';
import { decryptSecret } from '@/common/crypto/secret-box';
import { NotFoundError } from '@/common/errors/app-error';
import { AppConfig } from '@/config/app-config';
import { InstanceTokenStore } from '@/integrations/evolution/instance-token.store';
import { RefreshTokenPayload } from '@/queue/job-payloads';
import { JobName, QueueName } from '@/queue/queue-names';
import { InstanceRepository } from './instance.repository';

/** How long a call waits for the refresh job before giving up with the upstream's 401 mapped to 502. */
const REFRESH_WAIT_MS = 15000;

/**
 * Upstream instance tokens for the Evolution client: decrypted from Postgres, cached in memory, and refreshed by a
 * BullMQ job when the upstream rejects one. The job id is per instance, so a burst of 401s across every process
 * makes one refresh; callers that arrive after it finished see the new token in Postgres and skip it.
 */
@Injectable()
export class InstanceTokenService implements InstanceTokenStore, OnModuleDestroy {
  private readonly cache = new Map<string, string>();
  private readonly inFlight = new Map<string, Promise<string>>();
  private events?: QueueEvents;

  constructor(
    private readonly instances: InstanceRepository,
    private readonly config: AppConfig,
    @InjectQueue(QueueName.InstanceTokens) private readonly queue: Queue<RefreshTokenPayload>,
  ) {}

  async current(instanceId: string): Promise<string> {
    return this.cache.get(instanceId) ?? this.load(instanceId);
  }

  async refreshAfterRejection(instanceId: string, rejected: string): Promise<string> {
    const stored = await this.load(instanceId);
    if (stored !== rejected) return stored;
    const running = this.inFlight.get(instanceId);
    if (running) return running;
    const refresh = this.refreshThroughQueue(instanceId).finally(() => this.inFlight.delete(instanceId));
    this.inFlight.set(instanceId, refresh);
    return refresh;
  }

  /** Drops the cached token, after the worker stored a new one. */
  forget(instanceId: string): void {
    this.cache.delete(instanceId);
  }

  async onModuleDestroy(): Promise<void> {
    await this.events?.close();
  }

  private async refreshThroughQueue(instanceId: string): Promise<string> {
    const row = await this.instances.findTokenForSystem(instanceId);
    if (!row) throw new NotFoundError('The instance no longer exists', 'INSTANCE_NOT_FOUND');
    const job = await this.queue.add(
      JobName.RefreshToken,
      { clientId: row.clientId, instanceId },
      { jobId: `refresh-token-${instanceId}`, attempts: 1, removeOnComplete: true, removeOnFail: true },
    );
    try {
      await job.waitUntilFinished(this.queueEvents(), REFRESH_WAIT_MS);
    } catch {
      // The refresh failed or took too long; the stored token is still the best answer and the retry will say why.
    }
    return this.load(instanceId);
  }

  private async load(instanceId: string): Promise<string> {
    const row = await this.instances.findTokenForSystem(instanceId);
    if (!row) throw new NotFoundError('The instance no longer exists', 'INSTANCE_NOT_FOUND');
    const token = decryptSecret(row.tokenEncrypted, this.config.encryptionKey);
    this.cache.set(instanceId, token);
    return token;
  }

  private queueEvents(): QueueEvents {
    this.events ??= new QueueEvents(QueueName.InstanceTokens, {
      connection: this.config.queueConnection,
      prefix: this.config.queuePrefix,
    });
    return this.events;
  }
}
