import { Injectable } from '@nestjs/common';
import { issueClientKey } from '@/common/crypto/api-keys';
import { NotFoundError, ValidationError } from '@/common/errors/app-error';
import { assertAllowedUrl, OutboundGuard } from '@/common/net/outbound-guard';
import { AdminAuth } from '@/modules/auth/auth-context';
import { graceEnd } from '@/modules/auth/dto/rotation.dto';
import { AuditService } from '@/modules/audit/audit.service';
import { InstancesService } from '@/modules/instances/instances.service';
import { ClientRepository, ClientSettings } from './client.repository';
import {
  ClientResponseDto,
  CreateClientDto,
  CreatedClientResponseDto,
  RotatedKeyResponseDto,
  toClientResponse,
  UpdateClientDto,
} from './dto/client.dto';

function toSettings(dto: UpdateClientDto): ClientSettings {
  return {
    name: dto.name,
    active: dto.active,
    rateLimit: dto.rate_limit,
    dailyCap: dto.daily_cap,
    maxInstances: dto.max_instances,
    webhookUrl: dto.webhook_url,
    sendIntervalMs: dto.send_interval_ms,
    jitterMinMs: dto.jitter_min_ms,
    jitterMaxMs: dto.jitter_max_ms,
  };
}

/** Operator management of tenants: create, change, deactivate, delete, rotate keys. Every change is audited. */
@Injectable()
export class AdminService {
  constructor(
    private readonly clients: ClientRepository,
    private readonly instances: InstancesService,
    private readonly audit: AuditService,
    private readonly guard: OutboundGuard,
  ) {}

  async createClient(admin: AdminAuth, dto: CreateClientDto): Promise<CreatedClientResponseDto> {
    assertJitterRange(dto);
    assertAllowedUrl(this.guard, 'webhook_url', dto.webhook_url);
    const key = issueClientKey();
    const client = await this.clients.createWithKey({ ...toSettings(dto), name: dto.name }, key);
    await this.record(admin, client.id, 'client.created', { name: client.name, key_prefix: key.prefix });
    return { ...toClientResponse(client, client.currentKeyPrefix), api_key: key.plaintext };
  }

  async listClients(limit: number, offset: number): Promise<{ clients: ClientResponseDto[]; total: number }> {
    const { rows, total } = await this.clients.list(limit, offset);
    return { clients: rows.map((c) => toClientResponse(c, c.currentKeyPrefix)), total };
  }

  async getClient(clientId: number): Promise<ClientResponseDto> {
    const client = await this.clients.findById(clientId);
    if (!client) throw clientNotFound(clientId);
    return toClientResponse(client, client.currentKeyPrefix);
  }

  async updateClient(admin: AdminAuth, clientId: number, dto: UpdateClientDto): Promise<ClientResponseDto> {
    // Every setting but the default webhook (where null clears it) must have a value: null is not "unchanged".
    const cleared = Object.entries(dto).find(([field, value]) => value === null && field !== 'webhook_url');
    if (cleared) throw new ValidationError(`${cleared[0]}: must not be null; leave it out to keep the current value`);
    assertJitterRange(dto);
    assertAllowedUrl(this.guard, 'webhook_url', dto.webhook_url);
    const client = await this.clients.update(clientId, toSettings(dto));
    if (!client) throw clientNotFound(clientId);
    await this.record(admin, clientId, dto.active === false ? 'client.deactivated' : 'client.updated', { changed: Object.keys(dto) });
    return toClientResponse(client, client.currentKeyPrefix);
  }

  /** Deletes the client's instances (upstream too, so their WhatsApp sessions end), then the client. */
  async deleteClient(admin: AdminAuth, clientId: number): Promise<void> {
    if (!(await this.clients.findById(clientId))) throw clientNotFound(clientId);
    await this.instances.removeAllOfClient(clientId, { actorType: 'admin', actorId: String(admin.adminId) });
    if (!(await this.clients.softDelete(clientId, new Date()))) throw clientNotFound(clientId);
    await this.record(admin, clientId, 'client.deleted', {});
  }

  async rotateKey(admin: AdminAuth, clientId: number, graceSeconds: number): Promise<RotatedKeyResponseDto> {
    const now = new Date();
    const expiresAt = graceEnd(now, graceSeconds);
    const key = issueClientKey();
    if (!(await this.clients.rotateKey(clientId, key, now, expiresAt))) throw clientNotFound(clientId);
    await this.record(admin, clientId, 'client.key_rotated', { key_prefix: key.prefix, grace_seconds: graceSeconds });
    return { api_key: key.plaintext, previous_key_expires_at: (expiresAt ?? now).toISOString() };
  }

  private record(admin: AdminAuth, clientId: number, action: string, details: Record<string, unknown>): Promise<void> {
    return this.audit.record({
      actorType: 'admin',
      actorId: String(admin.adminId),
      clientId,
      action,
      targetType: 'client',
      targetId: String(clientId),
      details: details as never,
    });
  }
}

function assertJitterRange(dto: UpdateClientDto): void {
  if (dto.jitter_min_ms !== undefined && dto.jitter_max_ms !== undefined && dto.jitter_min_ms > dto.jitter_max_ms) {
    throw new ValidationError('jitter_max_ms: must be at least jitter_min_ms');
  }
}

function clientNotFound(clientId: number): NotFoundError {
  return new NotFoundError(`Client ${clientId} does not exist`, 'CLIENT_NOT_FOUND');
}
