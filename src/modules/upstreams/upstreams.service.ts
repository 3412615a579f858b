import { Injectable } from '@nestjs/common';
import { encryptSecret } from '@/common/crypto/secret-box';
import { ConflictError, NotFoundError, UnprocessableError } from '@/common/errors/app-error';
import { fromPrismaError } from '@/common/errors/database-errors';
import { AppConfig } from '@/config/app-config';
import { EvolutionClient } from '@/integrations/evolution/evolution.client';
import { EvolutionError } from '@/integrations/evolution/evolution.errors';
import { AuditService } from '@/modules/audit/audit.service';
import { AdminAuth } from '@/modules/auth/auth-context';
import { CreateUpstreamDto, UpdateUpstreamDto, UpstreamListResponseDto, UpstreamResponseDto } from './dto/upstream.dto';
import { UpstreamChange, UpstreamRepository } from './upstream.repository';
import { failureReason, UpstreamPool, UpstreamStatus } from './upstream-pool.service';

/** A new or changed server must answer this fast to be accepted. */
const CHECK_TIMEOUT_MS = 5000;

/** The operator's management of the pool: add, change, drain and remove upstream servers. */
@Injectable()
export class UpstreamsService {
  constructor(
    private readonly upstreams: UpstreamRepository,
    private readonly pool: UpstreamPool,
    private readonly evolution: EvolutionClient,
    private readonly config: AppConfig,
    private readonly audit: AuditService,
  ) {}

  async list(): Promise<UpstreamListResponseDto> {
    return { upstreams: (await this.pool.statuses()).map(toResponse) };
  }

  async get(id: number): Promise<UpstreamResponseDto> {
    return toResponse(await this.find(id));
  }

  /** Adds a server once it answers with the key given (a typo in either is caught here, not at the first create). */
  async create(admin: AdminAuth, dto: CreateUpstreamDto): Promise<UpstreamResponseDto> {
    await this.assertAnswers(dto.url, dto.api_key, 'url');
    let created;
    try {
      created = await this.upstreams.create({
        name: dto.name,
        url: dto.url.replace(/\/+$/, ''),
        apiKeyEncrypted: encryptSecret(dto.api_key, this.config.encryptionKey),
        capacity: dto.capacity,
      });
    } catch (err) {
      if (fromPrismaError(err) instanceof ConflictError)
        throw new ConflictError(`name: an upstream named "${dto.name}" already exists`, 'UPSTREAM_EXISTS');
      throw err;
    }
    await this.record(admin, 'upstream.created', created.id, {
      name: dto.name,
      url: created.url,
      capacity: dto.capacity,
    });
    return toResponse(await this.find(created.id));
  }

  async update(admin: AdminAuth, id: number, dto: UpdateUpstreamDto): Promise<UpstreamResponseDto> {
    const current = await this.find(id);
    if (dto.url !== undefined || dto.api_key !== undefined) {
      const apiKey = dto.api_key ?? (await this.pool.targetOf(id)).apiKey;
      await this.assertAnswers(dto.url ?? current.url, apiKey, dto.url !== undefined ? 'url' : 'api_key');
    }
    const change: UpstreamChange = {
      ...(dto.capacity !== undefined ? { capacity: dto.capacity } : {}),
      ...(dto.draining !== undefined ? { draining: dto.draining } : {}),
      ...(dto.url !== undefined ? { url: dto.url.replace(/\/+$/, '') } : {}),
      ...(dto.api_key !== undefined ? { apiKeyEncrypted: encryptSecret(dto.api_key, this.config.encryptionKey) } : {}),
    };
    if (!(await this.upstreams.update(id, change))) throw upstreamNotFound(id);
    const { apiKeyEncrypted, ...shown } = change;
    await this.record(admin, 'upstream.updated', id, { ...shown, ...(apiKeyEncrypted ? { api_key: 'changed' } : {}) });
    return toResponse(await this.find(id));
  }

  /** Removes a server that holds no live instance; the pool keeps at least one. */
  async remove(admin: AdminAuth, id: number): Promise<void> {
    const pool = await this.pool.statuses();
    const current = pool.find((u) => u.id === id);
    if (!current) throw upstreamNotFound(id);
    if (pool.length === 1) {
      throw new ConflictError(
        `Upstream "${current.name}" is the last of the pool; add another before removing it`,
        'LAST_UPSTREAM',
      );
    }
    const outcome = await this.upstreams.remove(id);
    if (outcome === 'missing') throw upstreamNotFound(id);
    if (outcome === 'in-use') {
      throw new ConflictError(
        `Upstream "${current.name}" still holds live instances: drain it (PATCH draining: true) and delete them first; ` +
          'a WhatsApp session cannot move to another server without a new scan',
        'UPSTREAM_IN_USE',
      );
    }
    await this.pool.reload();
    await this.record(admin, 'upstream.deleted', id, { name: current.name });
  }

  private async find(id: number): Promise<UpstreamStatus> {
    const status = (await this.pool.statuses()).find((u) => u.id === id);
    if (!status) throw upstreamNotFound(id);
    return status;
  }

  /** 422 naming the field when the server does not answer, or rejects the key. */
  private async assertAnswers(url: string, apiKey: string, urlField: 'url' | 'api_key'): Promise<void> {
    try {
      await this.evolution.ping({ id: 0, name: 'candidate', url: url.replace(/\/+$/, ''), apiKey }, CHECK_TIMEOUT_MS);
    } catch (err) {
      const keyRejected = err instanceof EvolutionError && err.kind === 'unauthorized';
      throw new UnprocessableError(
        keyRejected
          ? 'api_key: the Evolution API server rejects this key'
          : `${urlField}: the Evolution API server does not answer as one (${failureReason(err, CHECK_TIMEOUT_MS)})`,
        keyRejected ? 'UPSTREAM_KEY_REJECTED' : 'UPSTREAM_NOT_ANSWERING',
      );
    }
  }

  private async record(admin: AdminAuth, action: string, id: number, details: Record<string, unknown>): Promise<void> {
    await this.audit.record({
      actorType: 'admin',
      actorId: String(admin.adminId),
      action,
      targetType: 'upstream',
      targetId: String(id),
      details: details as never,
    });
  }
}

function upstreamNotFound(id: number): NotFoundError {
  return new NotFoundError(`Upstream ${id} does not exist`, 'UPSTREAM_NOT_FOUND');
}

function toResponse(u: UpstreamStatus): UpstreamResponseDto {
  return {
    id: u.id,
    name: u.name,
    url: u.url,
    capacity: u.capacity,
    draining: u.draining,
    instances: u.liveInstances,
    free: Math.max(0, u.capacity - u.liveInstances),
    state: u.health.state,
    failures: u.health.failures,
    last_error: u.health.lastError,
    last_error_at: u.health.lastErrorAt?.toISOString() ?? null,
    state_since: u.health.since?.toISOString() ?? null,
    last_probe_at: u.health.lastProbeAt?.toISOString() ?? null,
    created_at: u.createdAt.toISOString(),
    updated_at: u.updatedAt.toISOString(),
  };
}
