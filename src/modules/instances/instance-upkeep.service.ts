import { Injectable, Logger } from '@nestjs/common';
import { UnrecoverableError } from 'bullmq';
import { decryptSecret, encryptSecret } from '@/common/crypto/secret-box';
import { AppConfig } from '@/config/app-config';
import { Prisma } from '@/generated/prisma/client';
import { EvolutionClient } from '@/integrations/evolution/evolution.client';
import { FetchedInstance } from '@/integrations/evolution/evolution.types';
import { AuditService } from '@/modules/audit/audit.service';
import { InstanceSystemRepository } from './instance-system.repository';
import { InstanceTokenService } from './instance-token.service';

/** Worker-side care of instances: refreshing rejected tokens and noticing when the upstream drifted from our rows. */
@Injectable()
export class InstanceUpkeepService {
  private readonly logger = new Logger(InstanceUpkeepService.name);

  constructor(
    private readonly instances: InstanceSystemRepository,
    private readonly evolution: EvolutionClient,
    private readonly tokens: InstanceTokenService,
    private readonly config: AppConfig,
    private readonly audit: AuditService,
  ) {}

  /** Reads the instance's current token with the global key and stores it (contract §1: fetchInstances returns it). */
  async refreshToken(instanceId: string): Promise<void> {
    const row = await this.instances.findTokenForSystem(instanceId);
    if (!row) throw new UnrecoverableError('instance no longer exists');
    if (row.upstreamId === null) throw new UnrecoverableError('instance has no upstream');
    const upstream = await this.evolution.fetchInstance(row.upstreamId, row.name);
    if (!upstream) throw new UnrecoverableError('instance does not exist upstream');
    // A different upstream instance under the same name is not ours: adopting its token would cross tenants.
    if (row.upstreamInstanceId && upstream.id !== row.upstreamInstanceId)
      throw new UnrecoverableError('upstream instance was replaced');
    const changed = upstream.token !== decryptSecret(row.tokenEncrypted, this.config.encryptionKey);
    await this.instances.storeTokenForSystem(
      instanceId,
      encryptSecret(upstream.token, this.config.encryptionKey),
      new Date(),
    );
    this.tokens.forget(instanceId);
    if (changed) {
      this.logger.log({ instanceId, clientId: row.clientId }, 'Refreshed a rejected instance token');
      await this.audit.record({
        actorType: 'system',
        clientId: row.clientId,
        action: 'instance.token_refreshed',
        targetType: 'instance',
        targetId: instanceId,
      });
    }
  }

  /**
   * Compares every live instance with the upstream's list (one call) and records what differs: a changed token
   * (stored at once, so the next call does not need a refresh), open against not open, an instance the upstream lost
   * or replaced. The stored status is left alone: fetchInstances' status can lag the live state (contract §11), and
   * the status routes and connection.update webhooks keep it current. An instance being deleted is skipped, and so
   * is every instance of an upstream that cannot be listed now (down, or failing): not knowing is not drift.
   */
  async checkDrift(): Promise<{ checked: number; drifted: number }> {
    const rows = await this.instances.listLiveForSystem();
    const upstreamIds = [...new Set(rows.map((r) => r.upstreamId).filter((id) => id !== null))];
    const listed = new Map<number, Map<string, FetchedInstance>>();
    await Promise.all(
      upstreamIds.map(async (upstreamId) => {
        try {
          const remote = await this.evolution.fetchAllInstances(upstreamId);
          listed.set(upstreamId, new Map(remote.map((u) => [u.name, u])));
        } catch (err) {
          this.logger.warn(
            { upstreamId, err: err instanceof Error ? err.message : String(err) },
            'Drift check skipped the instances of an upstream it could not list',
          );
        }
      }),
    );
    const now = new Date();
    const unchanged: string[] = [];
    let checked = 0;
    let drifted = 0;
    for (const row of rows) {
      const byName = row.upstreamId === null ? undefined : listed.get(row.upstreamId);
      if (row.deletingAt || !byName) continue;
      checked += 1;
      const remote = byName.get(row.name);
      const notes: string[] = [];
      const changes: Prisma.InstanceUpdateInput = {};
      if (!remote) {
        notes.push('missing upstream');
      } else if (row.upstreamInstanceId && remote.id !== row.upstreamInstanceId) {
        notes.push('replaced upstream by another instance with the same name');
      } else {
        if (remote.token !== decryptSecret(row.tokenEncrypted, this.config.encryptionKey)) {
          notes.push('token changed upstream');
          changes.tokenEncrypted = encryptSecret(remote.token, this.config.encryptionKey);
          this.tokens.forget(row.id);
        }
        // fetchInstances lists a retrying instance as close while its events say connecting, and a refused one as
        // close (contract §11, §12): among the states that are not open, a difference is no drift.
        if (row.status !== 'pending' && (row.status === 'open') !== (remote.connectionStatus === 'open')) {
          notes.push(`state stored ${row.status}, upstream lists ${remote.connectionStatus}`);
        }
      }
      if (notes.length === 0) {
        unchanged.push(row.id);
        continue;
      }
      drifted += 1;
      await this.instances.recordDriftForSystem(row.id, notes.join('; '), changes, now);
      this.logger.warn(
        { instanceId: row.id, clientId: row.clientId, drift: notes },
        'Instance drifted from the upstream',
      );
    }
    await this.instances.markCheckedForSystem(unchanged, now);
    return { checked, drifted };
  }
}
