import { Injectable, Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { issueInstanceKey } from '@/common/crypto/api-keys';
import { encryptSecret } from '@/common/crypto/secret-box';
import { newWebhookSecret } from '@/common/crypto/standard-webhooks';
import { ConflictError, NotFoundError, ServiceUnavailableError, ValidationError } from '@/common/errors/app-error';
import { fromPrismaError } from '@/common/errors/database-errors';
import { assertAllowedUrl, OutboundGuard } from '@/common/net/outbound-guard';
import { AppConfig } from '@/config/app-config';
import { Instance } from '@/generated/prisma/client';
import { EvolutionClient, globalAuth } from '@/integrations/evolution/evolution.client';
import { EvolutionError } from '@/integrations/evolution/evolution.errors';
import { CreateInstanceRequest, CreateInstanceResponse, QrCode } from '@/integrations/evolution/evolution.types';
import { upstreamWebhookFor } from '@/integrations/evolution/upstream-webhook';
import { AuditEntry } from '@/modules/audit/audit.repository';
import { AuditService } from '@/modules/audit/audit.service';
import { ClientAuth } from '@/modules/auth/auth-context';
import { UpstreamPool } from '@/modules/upstreams/upstream-pool.service';
import { ConnectionAttempts } from './connection-attempts.service';
import {
  CreatedSubInstanceDto,
  CreateSubInstanceDto,
  InstanceDetailsResponseDto,
  InstanceListResponseDto,
  OperatorInstanceListResponseDto,
  toInstanceResponse,
} from './dto/instance.dto';
import { InstanceRepository } from './instance.repository';
import { instanceNotFound, UUID, visibleTo } from './instance-access';
import { hasQr, InstanceConnectionService } from './instance-connection.service';
import { InstanceSystemRepository, ReceivingInstance } from './instance-system.repository';

/**
 * Waits between the attempts of a create whose name the upstream still holds after the gateway deleted it (contract
 * §12: a re-create right after a delete answers 403 "already in use" for a few seconds): about 5 s in all.
 */
const RECREATE_BACKOFF_MS = [250, 500, 1000, 1500, 2000];

/** How recent a delete of the name must be for a 403 on create to count as the upstream still removing it. */
const JUST_DELETED_MS = 30_000;

/** How many deleted instances of one name the webhook receiver still recognises by their token. */
const DELETED_TOKENS_CHECKED = 5;

/** The create of both surfaces: the v1 body, and the pass-through's number for a pairing code. */
export type NewInstanceInput = CreateSubInstanceDto & { number?: string };

export type Actor = Pick<AuditEntry, 'actorType' | 'actorId'>;

/** Work of another feature that must end with its instance (a bulk), run after the instance is deleted. */
export type InstanceDeletedHook = (instance: Pick<Instance, 'id' | 'clientId'>) => Promise<void>;

/** Reseller sub-instances: create, list, inspect, delete, connect by QR, read state. */
@Injectable()
export class InstancesService {
  private readonly logger = new Logger(InstancesService.name);
  /** Registered at boot by the features that depend on instances, so this one needs to know none of them. */
  private readonly deletedHooks: InstanceDeletedHook[] = [];

  constructor(
    private readonly instances: InstanceRepository,
    private readonly systemInstances: InstanceSystemRepository,
    private readonly evolution: EvolutionClient,
    private readonly config: AppConfig,
    private readonly audit: AuditService,
    private readonly guard: OutboundGuard,
    private readonly attempts: ConnectionAttempts,
    private readonly connection: InstanceConnectionService,
    private readonly pool: UpstreamPool,
  ) {}

  async create(clientId: number, dto: CreateSubInstanceDto, actor: Actor): Promise<CreatedSubInstanceDto> {
    return (await this.createInstance(clientId, dto, actor)).created;
  }

  /**
   * Creates the instance upstream with a token the gateway chose, points its webhook at the gateway, and issues the
   * tenant's instance key. Any failure after the row is reserved deletes the upstream instance again (a timed-out
   * create may still have made it), so nothing is left half-made and the name is not burnt.
   *
   * Only `qrcode: true` connects: the upstream then waits about 5 s for a first QR, which comes back with the answer,
   * and keeps retrying until the QR is scanned (contract §2.1, §12). Otherwise the first QR request connects.
   */
  async createInstance(
    clientId: number,
    dto: NewInstanceInput,
    actor: Actor,
  ): Promise<{ created: CreatedSubInstanceDto; qrcode?: QrCode }> {
    const upstreamToken = randomBytes(16).toString('hex').toUpperCase();
    const webhookSecret = newWebhookSecret();
    const integration = dto.integration ?? 'WHATSAPP-BAILEYS';
    const qrcode = dto.qrcode === true;
    const instance = await this.reserve(clientId, dto, integration, upstreamToken, webhookSecret);
    const upstreamId = instance.upstreamId!;
    const key = issueInstanceKey();

    let created: CreateInstanceResponse;
    try {
      const number = dto.number ? { number: dto.number } : {};
      created = await this.createUpstream(upstreamId, {
        instanceName: dto.instanceName,
        integration,
        qrcode,
        token: upstreamToken,
        ...number,
      });
      await this.evolution.setWebhook(
        dto.instanceName,
        globalAuth(upstreamId),
        upstreamWebhookFor(this.config, dto.instanceName, instance.id, upstreamId),
      );
      if (!(await this.instances.finishCreateForClient(clientId, instance.id, created.instance.instanceId, key))) {
        throw new ConflictError(
          `Instance "${dto.instanceName}" was deleted while it was being created`,
          'INSTANCE_DELETED',
        );
      }
    } catch (err) {
      const taken = err instanceof EvolutionError && err.kind === 'name_taken';
      if (!taken) await this.deleteUpstreamQuietly(upstreamId, dto.instanceName);
      await this.instances.removeUnfinishedForClient(clientId, instance.id);
      throw taken ? nameTaken(dto.instanceName) : err;
    }
    if (qrcode) {
      // The create started the connection: a QR request answers its QR instead of connecting once more.
      await this.attempts.stillRunning(instance.id);
      if (created.qrcode && hasQr(created.qrcode)) await this.attempts.storeQr(instance.id, created.qrcode);
    }

    await this.audit.record({
      ...actor,
      clientId,
      action: 'instance.created',
      targetType: 'instance',
      targetId: instance.id,
      details: { name: instance.name },
    });
    return {
      created: {
        instance_id: instance.id,
        instance_name: instance.name,
        api_key: key.plaintext,
        webhook_secret: webhookSecret,
        integration,
        status: 'pending',
      },
      qrcode: qrcode ? (created.qrcode ?? { count: 0 }) : undefined,
    };
  }

  /**
   * The upstream create, retried with backoff for a few seconds when the upstream still holds a name the gateway
   * itself deleted a moment ago (contract §12). A name another upstream instance uses fails at once.
   */
  private async createUpstream(upstreamId: number, req: CreateInstanceRequest): Promise<CreateInstanceResponse> {
    let justDeleted: boolean | undefined;
    for (const wait of [...RECREATE_BACKOFF_MS, undefined]) {
      try {
        return await this.evolution.createInstance(upstreamId, req);
      } catch (err) {
        if (wait === undefined || !(err instanceof EvolutionError && err.kind === 'name_taken')) throw err;
        justDeleted ??= await this.systemInstances.deletedSinceForSystem(
          req.instanceName,
          new Date(Date.now() - JUST_DELETED_MS),
        );
        if (!justDeleted) throw err;
        await sleep(wait);
      }
    }
    throw new Error('unreachable: the last attempt throws');
  }

  async list(clientId: number, limit: number, offset: number): Promise<InstanceListResponseDto> {
    const [rows, total] = await this.instances.listForClient(clientId, limit, offset);
    return { instances: rows.map(toInstanceResponse), total };
  }

  /** The operator's view: every client's instances, with the client and the last drift the upkeep job saw. */
  async listForOperator(
    filter: { clientId?: number; upstreamId?: number },
    limit: number,
    offset: number,
  ): Promise<OperatorInstanceListResponseDto> {
    const [rows, total] = await this.systemInstances.listAllForOperator(filter, limit, offset);
    return {
      instances: rows.map((row) => ({
        ...toInstanceResponse(row),
        client_id: row.client.id,
        client_name: row.client.name,
        drift: row.driftNote,
        upstream_id: row.upstream?.id ?? null,
        upstream_name: row.upstream?.name ?? null,
      })),
      total,
    };
  }

  /** Details with the live state, which also refreshes the stored status. */
  async get(auth: ClientAuth, idOrName: string): Promise<InstanceDetailsResponseDto> {
    const instance = await this.find(auth, idOrName);
    const { state } = await this.connection.liveState(instance);
    const refreshed = (await this.instances.findByIdForClient(auth.clientId, instance.id)) ?? instance;
    return { ...toInstanceResponse(refreshed), state };
  }

  async remove(auth: ClientAuth, idOrName: string, actor: Actor): Promise<void> {
    await this.removeInstance(auth.clientId, await this.find(auth, idOrName), actor);
  }

  private async removeInstance(clientId: number, instance: Instance, actor: Actor): Promise<void> {
    // From here on the instance's events are absorbed: the upstream posts its delete trail (and whatever it was still
    // retrying) around its answer and after it (contract §11, §12), and none of that is news to the tenant.
    if (!(await this.instances.markDeletingForClient(clientId, instance.id, new Date())))
      throw instanceNotFound(instance.name);
    try {
      // Upstream delete logs out first when the instance is connected (contract §2.1).
      await this.evolution.deleteInstance(instance.name, globalAuth(instance.upstreamId!));
    } catch (err) {
      if (!(err instanceof EvolutionError && err.kind === 'instance_not_found')) {
        await this.instances.clearDeletingForClient(clientId, instance.id);
        throw err;
      }
    }
    await this.instances.softDeleteForClient(clientId, instance.id, new Date());
    await this.attempts.end(instance.id);
    await this.audit.record({
      ...actor,
      clientId,
      action: 'instance.deleted',
      targetType: 'instance',
      targetId: instance.id,
      details: { name: instance.name },
    });
    for (const hook of this.deletedHooks) await hook(instance);
  }

  whenDeleted(hook: InstanceDeletedHook): void {
    this.deletedHooks.push(hook);
  }

  /** Deletes every instance of a client that is being deleted, upstream and locally. */
  async removeAllOfClient(clientId: number, actor: Actor): Promise<void> {
    const [rows] = await this.instances.listForClient(clientId, 10000, 0);
    for (const instance of rows) await this.removeInstance(clientId, instance, actor);
  }

  /**
   * The caller's live instance by name, or 404 before any upstream call. An instance key reaches its own instance
   * only; for every other name it answers as if the instance did not exist.
   */
  async resolve(auth: ClientAuth, name: string): Promise<Instance> {
    return visibleTo(auth, await this.instances.findByNameForClient(auth.clientId, name), name);
  }

  /** For the upstream webhook receiver, which authenticates the upstream itself. */
  findLiveByNameForSystem(name: string): Promise<Instance | null> {
    return this.systemInstances.findLiveByNameForSystem(name);
  }

  findLiveByNameWithClientUrlForSystem(name: string): Promise<ReceivingInstance | null> {
    return this.systemInstances.findLiveByNameWithClientUrlForSystem(name);
  }

  /** The latest deleted instances of this name (id and upstream), whose events the webhook receiver absorbs. */
  deletedByNameForSystem(name: string): Promise<{ id: string; upstreamId: number | null }[]> {
    return this.systemInstances.deletedByNameForSystem(name, DELETED_TOKENS_CHECKED);
  }

  setWebhook(
    clientId: number,
    instanceId: string,
    data: Pick<Instance, 'webhookUrl' | 'webhookEvents' | 'webhookEnabled'>,
  ): Promise<void> {
    return this.instances.setWebhookForClient(clientId, instanceId, data);
  }

  clientWebhookUrl(clientId: number): Promise<string | null> {
    return this.instances.clientWebhookUrl(clientId);
  }

  namesByIdForClient(clientId: number, ids: string[]): Promise<Map<string, string>> {
    return this.instances.namesByIdForClient(clientId, ids);
  }

  upstreamsOf(ids: string[]): Promise<Map<string, number | null>> {
    return this.systemInstances.upstreamsOfIdsForSystem(ids);
  }

  idsByNameIncludingDeleted(clientId: number, name: string): Promise<string[]> {
    return this.instances.idsByNameIncludingDeletedForClient(clientId, name);
  }

  private async deleteUpstreamQuietly(upstreamId: number, name: string): Promise<void> {
    try {
      await this.evolution.deleteInstance(name, globalAuth(upstreamId));
    } catch (err) {
      if (err instanceof EvolutionError && err.kind === 'instance_not_found') return;
      this.logger.warn(
        { instanceName: name, err: err instanceof Error ? err.message : String(err) },
        'Could not delete a half-made upstream instance',
      );
    }
  }

  /** The caller's live instance by id or name (the routes take either), or 404. */
  async find(auth: ClientAuth, idOrName: string): Promise<Instance> {
    if (!UUID.test(idOrName)) return this.resolve(auth, idOrName);
    return visibleTo(auth, await this.instances.findByIdForClient(auth.clientId, idOrName), idOrName);
  }

  /** Any live instance by id, for the operator's routes, or 404. */
  async findForOperator(id: string): Promise<Instance> {
    const instance = UUID.test(id) ? await this.systemInstances.findLiveByIdForOperator(id) : null;
    if (!instance) throw instanceNotFound(id);
    return instance;
  }

  private async reserve(
    clientId: number,
    dto: CreateSubInstanceDto,
    integration: string,
    token: string,
    webhookSecret: string,
  ): Promise<Instance> {
    // Routes accept an instance's id or its name in one place, so a name may not look like an id.
    if (UUID.test(dto.instanceName)) throw new ValidationError('instanceName: must not have the form of a UUID');
    assertAllowedUrl(this.guard, 'webhook_url', dto.webhook_url);
    const key = this.config.encryptionKey;
    let result;
    try {
      result = await this.instances.createWithinLimit(
        {
          clientId,
          name: dto.instanceName,
          integration,
          tokenEncrypted: encryptSecret(token, key),
          webhookSecretEncrypted: encryptSecret(webhookSecret, key),
          webhookUrl: dto.webhook_url ?? null,
        },
        this.pool.healthyIds(),
      );
    } catch (err) {
      if (fromPrismaError(err) instanceof ConflictError) throw nameTaken(dto.instanceName);
      throw err;
    }
    if (result === 'client-gone') throw new NotFoundError('The client no longer exists', 'CLIENT_NOT_FOUND');
    if (result === 'no-upstream') {
      throw new ServiceUnavailableError(
        'No WhatsApp server can take a new instance now: every upstream is full, draining or down. ' +
          'Existing instances are not affected; try again later or ask the operator to add capacity',
        'NO_UPSTREAM_CAPACITY',
        30,
      );
    }
    if (result === 'limit-reached') {
      const max = await this.instances.maxInstancesOfClient(clientId);
      throw new ConflictError(
        `Instance limit reached: this client may own at most ${max} instances`,
        'INSTANCE_LIMIT_REACHED',
      );
    }
    return result;
  }
}

function nameTaken(name: string): ConflictError {
  return new ConflictError(`Instance name "${name}" is already in use`, 'INSTANCE_NAME_TAKEN');
}
