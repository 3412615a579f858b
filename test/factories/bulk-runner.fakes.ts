import { AppConfig } from '@/config/app-config';
import { EvolutionClient } from '@/integrations/evolution/evolution.client';
import { BulkForRun, BulkRepository } from '@/modules/bulk/bulk.repository';
import { BulkService } from '@/modules/bulk/bulk.service';
import { BulkProgressService } from '@/modules/bulk/bulk-progress.service';
import { BulkQueueService } from '@/modules/bulk/bulk-queue.service';
import { BulkRecipientRepository, ClaimedRecipient } from '@/modules/bulk/bulk-recipient.repository';
import { BulkRunnerService } from '@/modules/bulk/bulk-runner.service';
import { BulkScheduleRepository } from '@/modules/bulk/bulk-schedule.repository';
import { Delivery, SendService } from '@/modules/messages/send.service';
import { NumberCheckService } from '@/modules/numbers/number-check.service';
import { OptedOutError, OptOutsService } from '@/modules/opt-outs/opt-outs.service';
import { UpstreamPool } from '@/modules/upstreams/upstream-pool.service';

/** Fixtures and fakes for the bulk driver's unit tests (src/modules/bulk/bulk-runner*.spec.ts). */
export const CLIENT = 7;
export const BULK = 'b-1';

export function bulk(overrides: Partial<BulkForRun> = {}, client: Record<string, unknown> = {}): BulkForRun {
  return {
    id: BULK,
    clientId: CLIENT,
    instanceId: 'i-1',
    status: 'running',
    message: 'Hi {{name}}',
    delayMs: 0,
    instance: {
      id: 'i-1',
      clientId: CLIENT,
      name: 'shop',
      integration: 'WHATSAPP-BAILEYS',
      deletedAt: null,
      restriction: null,
      restrictionStatus: null,
      restrictedAt: null,
      client: {
        rateLimit: 60,
        dailyCap: 1000,
        sendIntervalMs: 1500,
        jitterMinMs: 0,
        jitterMaxMs: 0,
        strictContentGuard: false,
        pacingOverride: false,
        ...client,
      },
    },
    ...overrides,
  } as unknown as BulkForRun;
}

export function recipient(id: number, overrides: Partial<ClaimedRecipient> = {}): ClaimedRecipient {
  return {
    id: BigInt(id),
    bulkId: BULK,
    clientId: CLIENT,
    position: id,
    number: `2547000000${String(id).padStart(2, '0')}`,
    variables: { name: `n${id}` },
    status: 'sending',
    attempts: 1,
    messageId: null,
    logged: null,
    ...overrides,
  } as ClaimedRecipient;
}

/** The bulk repositories as the driver sees them: claims come from a list, every write is recorded. */
export class FakeBulks {
  found: BulkForRun | null = bulk();
  leased = true;
  claims: (ClaimedRecipient | 'stop' | undefined)[] = [];
  transitions = true;
  releaseFails = false;
  readonly calls: [string, ...unknown[]][] = [];

  findForRun(clientId: number, id: string) {
    this.calls.push(['findForRun', clientId, id]);
    return Promise.resolve(this.found);
  }
  findForClient(clientId: number, id: string) {
    this.calls.push(['findForClient', clientId, id]);
    return Promise.resolve(this.found);
  }
  leaseForClient(...args: unknown[]) {
    this.calls.push(['lease', ...args.slice(0, 2)]);
    return Promise.resolve(this.leased);
  }
  releaseLeaseForClient(...args: unknown[]) {
    this.calls.push(['releaseLease', ...args.slice(0, 2)]);
    return Promise.resolve();
  }
  markStartedForClient(...args: unknown[]) {
    this.calls.push(['markStarted', ...args]);
    return Promise.resolve();
  }
  claimNextForClient(clientId: number, bulkId: string) {
    this.calls.push(['claim', clientId, bulkId]);
    return Promise.resolve(this.claims.shift());
  }
  completeIfDoneForClient(...args: unknown[]) {
    this.calls.push(['complete', ...args]);
    return Promise.resolve(true);
  }
  finishRecipientForClient(...args: unknown[]) {
    this.calls.push(['finish', ...args]);
    return Promise.resolve();
  }
  releaseRecipientForClient(...args: unknown[]) {
    this.calls.push(['release', ...args]);
    return this.releaseFails ? Promise.reject(new Error('database down')) : Promise.resolve();
  }
  transitionForClient(...args: unknown[]) {
    this.calls.push(['transition', ...args]);
    return Promise.resolve(this.transitions);
  }
  expirePendingForClient(...args: unknown[]) {
    this.calls.push(['expire-pending', ...args]);
    return Promise.resolve(0);
  }
  listActiveForSystem() {
    return Promise.resolve([
      { id: 'b-1', clientId: 1 },
      { id: 'b-2', clientId: 2 },
    ]);
  }

  /** The recorded writes, without the reads and lease bookkeeping around them. */
  writes(): [string, ...unknown[]][] {
    return this.calls.filter(([name]) =>
      ['finish', 'release', 'transition', 'complete', 'expire-pending'].includes(name),
    );
  }
}

/** Answers each deliver with the next outcome: a message id, or an error to throw. */
export class FakeSender {
  outcomes: (number | Error)[] = [];
  readonly deliveries: Delivery[] = [];
  deliver(d: Delivery) {
    this.deliveries.push(d);
    const next = this.outcomes.shift() ?? 100;
    return next instanceof Error ? Promise.reject(next) : Promise.resolve({ id: String(next) });
  }
}

/** Number checks: every number has WhatsApp but those listed; `error` is thrown instead when set. */
export class FakeNumberCheck {
  readonly notOnWhatsApp = new Set<string>();
  readonly looked: string[] = [];
  error: Error | undefined;
  hasWhatsApp(_instance: unknown, number: string) {
    this.looked.push(number);
    return this.error ? Promise.reject(this.error) : Promise.resolve(!this.notOnWhatsApp.has(number));
  }
}

/** The client's opt-out list: the numbers listed are refused as the real check refuses them. */
export class FakeOptOuts {
  readonly optedOut = new Set<string>();
  assertReachable(_clientId: number, recipient: { value: string }) {
    return this.optedOut.has(recipient.value) ? Promise.reject(new OptedOutError(recipient.value)) : Promise.resolve();
  }
}

/** A BulkRunnerService over the fakes, with what it sent, queued, cancelled and looked up recorded. */
export function runnerWithFakes() {
  const bulks = new FakeBulks();
  const sender = new FakeSender();
  const sentTexts: unknown[][] = [];
  const queue: { driven: unknown[][]; resumes: unknown[][] } = { driven: [], resumes: [] };
  const cancelled: unknown[][] = [];
  const evolution = {
    sendText: (...args: unknown[]) => {
      sentTexts.push(args);
      return Promise.resolve({ key: { id: 'WA-1' } });
    },
  };
  const queueService = {
    drive: (...args: unknown[]) => (queue.driven.push(args), Promise.resolve()),
    resumeAt: (...args: unknown[]) => (queue.resumes.push(args), Promise.resolve()),
  };
  const resumedUpstreams: number[] = [];
  const bulkService = {
    cancelForDeletedInstance: (...args: unknown[]) => (cancelled.push(args), Promise.resolve()),
    resumeAfterUpstreamRecovery: (upstreamId: number) => (resumedUpstreams.push(upstreamId), Promise.resolve()),
  };
  /** The upstreams answering in this process, as the pool would say. */
  const healthyUpstreams: number[] = [];
  const pool = { healthyIds: () => healthyUpstreams };
  const progress = { announce: () => Promise.resolve(), announceProgress: () => Promise.resolve() };
  const numbers = new FakeNumberCheck();
  const optOuts = new FakeOptOuts();
  const config = { get: (name: string) => (name === 'BULK_LEASE_MS' ? 60000 : undefined) };
  const sut = new BulkRunnerService(
    bulks as unknown as BulkRepository,
    bulks as unknown as BulkRecipientRepository,
    sender as unknown as SendService,
    evolution as unknown as EvolutionClient,
    queueService as unknown as BulkQueueService,
    bulkService as unknown as BulkService,
    progress as unknown as BulkProgressService,
    numbers as unknown as NumberCheckService,
    optOuts as unknown as OptOutsService,
    config as unknown as AppConfig,
    bulks as unknown as BulkScheduleRepository,
    pool as unknown as UpstreamPool,
  );
  return { sut, bulks, sender, sentTexts, queue, cancelled, numbers, optOuts, healthyUpstreams, resumedUpstreams };
}
