import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { decryptSecret, encryptSecret } from '@/common/crypto/secret-box';
import { MetricsService } from '@/common/metrics/metrics.service';
import { AppConfig } from '@/config/app-config';
import { EvolutionClient } from '@/integrations/evolution/evolution.client';
import { EvolutionError } from '@/integrations/evolution/evolution.errors';
import { UpstreamDirectory, UpstreamTarget } from '@/integrations/evolution/upstream-directory';
import { UpstreamRepository, UpstreamWithLoad } from './upstream.repository';
import { UpstreamHealth, UpstreamHealthView } from './upstream-health';

/** The name of the upstream made from EVOLUTION_API_URL and EVOLUTION_API_KEY when the pool is empty. */
export const FIRST_UPSTREAM_NAME = 'default';

/** How many instances the first upstream may hold; the operator changes it with PATCH. */
export const FIRST_UPSTREAM_CAPACITY = 500;

/** A probe answers within this long, or counts as failed (and never longer than the interval between probes). */
const PROBE_TIMEOUT_MS = 3000;

/** Work of another feature to do when an upstream is reachable again (bulks paused by its outage carry on). */
export type UpstreamRecoveredHook = (upstreamId: number) => Promise<void>;

/** An upstream as this process sees it: the stored row with its load, and its circuit here. */
export type UpstreamStatus = UpstreamWithLoad & { health: UpstreamHealthView };

interface Member {
  target: UpstreamTarget;
  row: UpstreamWithLoad;
  health: UpstreamHealth;
}

/**
 * The upstream servers of the pool, for every role: loaded from Postgres and reloaded at each probe round (so
 * another process's changes arrive within UPSTREAM_PROBE_INTERVAL_MS), each probed with a circuit breaker
 * (UpstreamHealth). The Evolution client asks it where a call goes; a call for a server whose circuit is open fails at
 * once with 503. Each process keeps its own circuits: they agree within a probe round or two.
 */
@Injectable()
export class UpstreamPool implements UpstreamDirectory, OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(UpstreamPool.name);
  private readonly members = new Map<number, Member>();
  private readonly recoveredHooks: UpstreamRecoveredHook[] = [];
  private timer?: NodeJS.Timeout;
  private round?: Promise<void>;
  private stopped = false;

  constructor(
    private readonly upstreams: UpstreamRepository,
    private readonly evolution: EvolutionClient,
    private readonly config: AppConfig,
    private readonly metrics: MetricsService,
  ) {}

  /** Makes the first upstream when there is none (an install from before the pool keeps working unchanged). */
  async onModuleInit(): Promise<void> {
    const { created, adopted } = await this.upstreams.firstUpstream({
      name: FIRST_UPSTREAM_NAME,
      url: this.config.evolutionUrl,
      apiKeyEncrypted: encryptSecret(this.config.get('EVOLUTION_API_KEY'), this.config.encryptionKey),
      capacity: FIRST_UPSTREAM_CAPACITY,
    });
    if (created)
      this.logger.log({ url: this.config.evolutionUrl }, 'Created the first upstream from EVOLUTION_API_URL');
    if (adopted > 0) this.logger.log({ adopted }, 'Gave the instances made before the pool to the first upstream');
    await this.reload();
    this.evolution.useUpstreams(this);
    const interval = this.config.get('UPSTREAM_PROBE_INTERVAL_MS');
    this.timer = setInterval(() => void this.probeRound(), interval);
    this.timer.unref();
    void this.probeRound();
  }

  /** Probes stop; one under way is not waited for (it ends within PROBE_TIMEOUT_MS and its answer is dropped). */
  onApplicationShutdown(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  whenRecovered(hook: UpstreamRecoveredHook): void {
    this.recoveredHooks.push(hook);
  }

  async available(upstreamId: number): Promise<UpstreamTarget> {
    const member = await this.member(upstreamId);
    if (member.health.isUp) return member.target;
    const view = member.health.snapshot();
    throw new EvolutionError(
      'upstream_down',
      `The WhatsApp server this instance is on is down (${view.lastError ?? 'it does not answer'}, since ` +
        `${view.since?.toISOString()}); its calls are refused until it answers again, and other instances are not affected`,
      0,
      true,
    );
  }

  unreachable(upstreamId: number, reason: string): void {
    const member = this.members.get(upstreamId);
    if (member && member.health.failed(reason, new Date())) this.opened(member);
  }

  answered(upstreamId: number): void {
    this.members.get(upstreamId)?.health.answered();
  }

  /** Upstreams whose circuit is closed here: where a new instance may go (draining is the stored row's business). */
  healthyIds(): number[] {
    return [...this.members.values()].filter((m) => m.health.isUp).map((m) => m.row.id);
  }

  /** Every upstream with its load and its circuit in this process, freshly read from Postgres. */
  async statuses(): Promise<UpstreamStatus[]> {
    await this.reload();
    return this.cachedStatuses();
  }

  /** Every upstream's global key, to strip from anything an upstream answered before a tenant sees it. */
  apiKeys(): string[] {
    return [...this.members.values()].map((m) => m.target.apiKey);
  }

  /** The cached view, without reading Postgres: for readiness, which must answer even when the database does not. */
  cachedStatuses(): UpstreamStatus[] {
    return [...this.members.values()].map((m) => ({ ...m.row, health: m.health.snapshot() }));
  }

  /** Where a server is and its key, whatever its circuit says (the operator's changes need the stored key). */
  async targetOf(upstreamId: number): Promise<UpstreamTarget> {
    return (await this.member(upstreamId)).target;
  }

  /** One made by another process since the last reload is read now, not refused until the next round. */
  private async member(upstreamId: number): Promise<Member> {
    const member = this.members.get(upstreamId) ?? (await this.reload(), this.members.get(upstreamId));
    if (!member) throw new Error(`Upstream ${upstreamId} does not exist`);
    return member;
  }

  /** Asks one server whether it answers, leaving its circuit alone (readiness). */
  async ping(upstreamId: number, timeoutMs: number): Promise<void> {
    const member = this.members.get(upstreamId);
    if (!member) throw new Error(`Upstream ${upstreamId} is not in the pool`);
    await this.evolution.ping(member.target, timeoutMs);
  }

  /** Reads the pool from Postgres: new and changed upstreams take effect, deleted ones are forgotten. */
  async reload(): Promise<void> {
    const rows = await this.upstreams.listWithLoad();
    const seen = new Set<number>();
    for (const row of rows) {
      seen.add(row.id);
      const target = {
        id: row.id,
        name: row.name,
        url: row.url.replace(/\/+$/, ''),
        apiKey: decryptSecret(row.apiKeyEncrypted, this.config.encryptionKey),
      };
      const known = this.members.get(row.id);
      // A new URL or key is another server as far as its health goes: its circuit starts afresh.
      const moved = known && (known.target.url !== target.url || known.target.apiKey !== target.apiKey);
      const health = known && !moved ? known.health : new UpstreamHealth(this.config.get('UPSTREAM_FAILURE_THRESHOLD'));
      this.members.set(row.id, { target, row, health });
      this.metrics.upstreamInstances.set({ upstream: row.name }, row.liveInstances);
      this.metrics.upstreamCapacity.set({ upstream: row.name }, row.capacity);
      this.metrics.upstreamUp.set({ upstream: row.name }, health.isUp ? 1 : 0);
    }
    for (const [id, member] of this.members) {
      if (seen.has(id)) continue;
      this.members.delete(id);
      for (const gauge of [this.metrics.upstreamInstances, this.metrics.upstreamCapacity, this.metrics.upstreamUp])
        gauge.remove({ upstream: member.target.name });
    }
  }

  /** One round: reload, then probe every upstream at once. A round still running when the next is due is not doubled. */
  private probeRound(): Promise<void> {
    this.round ??= (async () => {
      try {
        await this.reload();
        await Promise.all([...this.members.values()].map((m) => this.probeMember(m)));
      } catch (err) {
        // The database is unreachable: the pool keeps the upstreams it knows, and their circuits, until it answers.
        this.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'Upstream probe round failed');
      } finally {
        this.round = undefined;
      }
    })();
    return this.round;
  }

  private async probeMember(member: Member): Promise<void> {
    const timeout = Math.min(PROBE_TIMEOUT_MS, this.config.get('UPSTREAM_PROBE_INTERVAL_MS'));
    let failure: string | undefined;
    try {
      await this.evolution.ping(member.target, timeout);
    } catch (err) {
      failure = failureReason(err, timeout);
    }
    if (this.stopped) return;
    const now = new Date();
    if (failure === undefined) {
      if (member.health.probeSucceeded(now)) await this.recovered(member);
    } else if (member.health.probeFailed(failure, now)) {
      this.opened(member);
    }
  }

  private opened(member: Member): void {
    this.metrics.upstreamUp.set({ upstream: member.target.name }, 0);
    const view = member.health.snapshot();
    this.logger.warn(
      { upstream: member.target.name, err: view.lastError, failures: view.failures },
      'Upstream is down: its calls are refused until a probe succeeds',
    );
  }

  private async recovered(member: Member): Promise<void> {
    this.metrics.upstreamUp.set({ upstream: member.target.name }, 1);
    this.logger.log({ upstream: member.target.name }, 'Upstream answers again');
    for (const hook of this.recoveredHooks) {
      try {
        await hook(member.target.id);
      } catch (err) {
        this.logger.warn(
          { upstream: member.target.name, err: err instanceof Error ? err.message : String(err) },
          'Work after an upstream recovered failed',
        );
      }
    }
  }
}

/** Why a probe failed, in words safe to show a tenant (no host, no port, no upstream body). */
export function failureReason(err: unknown, timeoutMs: number): string {
  if (!(err instanceof EvolutionError)) return 'the probe failed';
  switch (err.kind) {
    case 'unreachable':
      return `unreachable: ${/\(([^)]+)\)$/.exec(err.message)?.[1] ?? 'network error'}`;
    case 'timeout':
      return `no answer within ${timeoutMs} ms`;
    case 'unauthorized':
      return "it rejects the gateway's API key";
    default:
      return `it answers HTTP ${err.upstreamStatus}`;
  }
}
