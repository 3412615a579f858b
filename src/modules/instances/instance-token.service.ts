import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Queue, QueueEvents } from 'bullmq';
import { setTimeout as sleep } from 'node:timers/promises';
import { decryptSecret } from '@/common/crypto/secret-box';
import { NotFoundError } from '@/common/errors/app-error';
import { AppConfig } from '@/config/app-config';
import { InstanceCredentials, InstanceTokenStore } from '@/integrations/evolution/instance-token.store';
import { RefreshTokenPayload } from '@/queue/job-payloads';
import { JobName, QueueName } from '@/queue/queue-names';
import { InstanceSystemRepository } from './instance-system.repository';

/** How long a call waits for the refresh job before giving up with the upstream's 401 mapped to 502. */
const REFRESH_WAIT_MS = 10000;
const REFRESH_POLL_MS = 200;

/**
 * Upstream instance credentials for the Evolution client (the instance's upstream and its token there): decrypted
 * from Postgres, cached in memory, and the token refreshed by a
 * BullMQ job when the upstream rejects one. The job id is per instance, so a burst of 401s across every process
 * makes one refresh; callers that arrive after it finished see the new token in Postgres and skip it.
 */
@Injectable()
export class InstanceTokenService implements InstanceTokenStore, OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(InstanceTokenService.name);
  private readonly cache = new Map<string, InstanceCredentials>();
  private readonly inFlight = new Map<string, Promise<string>>();
  private events?: QueueEvents;

  constructor(
    private readonly instances: InstanceSystemRepository,
    private readonly config: AppConfig,
    @InjectQueue(QueueName.InstanceTokens) private readonly queue: Queue<RefreshTokenPayload>,
  ) {}

  async current(instanceId: string): Promise<InstanceCredentials> {
    return this.cache.get(instanceId) ?? this.load(instanceId);
  }

  async refreshAfterRejection(instanceId: string, rejected: string): Promise<string> {
    const stored = (await this.load(instanceId)).token;
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

  /** Listening starts at boot: a listener created on demand can miss a job that finishes while it connects. */
  onModuleInit(): void {
    this.events = new QueueEvents(QueueName.InstanceTokens, {
      connection: this.config.queueConnection,
      prefix: this.config.queuePrefix,
    });
    this.events.on('error', (err) => this.logger.warn({ err: err.message }, 'Queue events connection error'));
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
    const stopPolling = new AbortController();
    try {
      // Whichever comes first: the job's completion event, or the new token showing up in Postgres. The loser may
      // still reject later; its rejection is consumed here so it cannot surface as an unhandled one.
      const finished = job.waitUntilFinished(this.events!, REFRESH_WAIT_MS);
      const stored = this.tokenChanged(instanceId, row.tokenEncrypted, stopPolling.signal);
      finished.catch(() => undefined);
      stored.catch(() => undefined);
      await Promise.race([finished, stored]);
    } catch {
      // The refresh failed or took too long; the stored token is still the best answer and the retry will say why.
    } finally {
      stopPolling.abort();
    }
    return (await this.load(instanceId)).token;
  }

  private async tokenChanged(instanceId: string, sealed: string, signal: AbortSignal): Promise<void> {
    const deadline = Date.now() + REFRESH_WAIT_MS;
    while (!signal.aborted && Date.now() < deadline) {
      await sleep(REFRESH_POLL_MS, undefined, { signal }).catch(() => undefined);
      const row = await this.instances.findTokenForSystem(instanceId);
      if (!row || row.tokenEncrypted !== sealed) return;
    }
  }

  private async load(instanceId: string): Promise<InstanceCredentials> {
    const row = await this.instances.findTokenForSystem(instanceId);
    if (!row) throw new NotFoundError('The instance no longer exists', 'INSTANCE_NOT_FOUND');
    // Every instance has its upstream from its create on, or from the boot that adopted it (UpstreamPool).
    if (row.upstreamId === null) throw new Error(`Instance ${instanceId} has no upstream`);
    const credentials = {
      upstreamId: row.upstreamId,
      token: decryptSecret(row.tokenEncrypted, this.config.encryptionKey),
    };
    this.cache.set(instanceId, credentials);
    return credentials;
  }
}
