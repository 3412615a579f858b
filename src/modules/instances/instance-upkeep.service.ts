import { Injectable, Logger } from '@nestjs/common';
import { UnrecoverableError } from 'bullmq';
import { decryptSecret, encryptSecret } from '@/common/crypto/secret-box';
import { AppConfig } from '@/config/app-config';
import { Prisma } from '@/generated/prisma/client';
import { EvolutionClient } from '@/integrations/evolution/evolution.client';
import { FetchedInstance } from '@/integrations/evolution/evolution.types';
import { AuditService } from '@/modules/audit/audit.service';
import { InstanceRepository } from './instance.repository';
import { InstanceTokenService } from './instance-token.service';

/** Worker-side care of instances: refreshing rejected tokens and noticing when the upstream drifted from our rows. */
@Injectable()
export class InstanceUpkeepService {
  private readonly logger = new Logger(InstanceUpkeepService.name);

  constructor(
    private readonly instances: InstanceRepository,
    private readonly evolution: EvolutionClient,
    private readonly tokens: InstanceTokenService,
    private readonly config: AppConfig,
    private readonly audit: AuditService,
  ) {}

  /** Reads the instance's current token with the global key and stores it (contract §1: fetchInstances returns it). */
  async refreshToken(instanceId: string): Promise<void> {
    const row = await this.instances.findTokenForSystem(instanceId);
    if (!row) throw new UnrecoverableError('instance no longer exists');
    const upstream = await this.evolution.fetchInstance(row.name);
    if (!upstream) throw new UnrecoverableError('instance does not exist upstream');
    // A different upstream instance under the same name is not ours: adopting its token would cross tenants.
    if (row.upstreamId && upstream.id !== row.upstreamId)
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
   * the status routes and connection.update webhooks keep it current. An instance being deleted is skipped.
   */
  async checkDrift(): Promise<{ checked: number; drifted: number }> {
    const [rows, upstream] = await Promise.all([
      this.instances.listLiveForSystem(),
      this.evolution.fetchAllInstances(),
    ]);
    const byName = new Map<string, FetchedInstance>(upstream.map((u) => [u.name, u]));
    const now = new Date();
    const unchanged: string[] = [];
    let drifted = 0;
    for (const row of rows) {
      if (row.deletingAt) continue;
      const remote = byName.get(row.name);
      const notes: string[] = [];
      const changes: Prisma.InstanceUpdateInput = {};
      if (!remote) {
        notes.push('missing upstream');
      } else if (row.upstreamId && remote.id !== row.upstreamId) {
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
    return { checked: rows.length, drifted };
  }
}
