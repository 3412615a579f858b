import { Injectable } from '@nestjs/common';
import { issueClientKey } from '@/common/crypto/api-keys';
import { NotFoundError, ValidationError } from '@/common/errors/app-error';
import { assertAllowedUrl, OutboundGuard } from '@/common/net/outbound-guard';
import { AuditService } from '@/modules/audit/audit.service';
import { AdminAuth } from '@/modules/auth/auth-context';
import { graceEnd } from '@/modules/auth/dto/rotation.dto';
import { InstancesService } from '@/modules/instances/instances.service';
import { BAILEYS_MIN_INTERVAL_MS } from '@/modules/limits/instance-pacer.service';
import { ClientRepository, ClientSettings, ClientWithKey } from './client.repository';
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
    pacingOverride: dto.pacing_override,
    jitterMinMs: dto.jitter_min_ms,
    jitterMaxMs: dto.jitter_max_ms,
    optOutKeywords: dto.opt_out_keywords && [...new Set(dto.opt_out_keywords)],
    optInKeywords: dto.opt_in_keywords && [...new Set(dto.opt_in_keywords)],
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
    assertKeywordsApart(dto.opt_out_keywords, dto.opt_in_keywords);
    assertPacingAllowed(dto.send_interval_ms ?? BAILEYS_MIN_INTERVAL_MS, dto.pacing_override ?? false);
    assertAllowedUrl(this.guard, 'webhook_url', dto.webhook_url);
    const key = issueClientKey();
    const client = await this.clients.createWithKey({ ...toSettings(dto), name: dto.name }, key);
    await this.record(admin, client.id, 'client.created', { name: client.name, key_prefix: key.prefix });
    if (dto.pacing_override) await this.recordPacingOverride(admin, client);
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
    if (dto.send_interval_ms !== undefined || dto.pacing_override !== undefined) {
      const current = await this.clients.findById(clientId);
      if (!current) throw clientNotFound(clientId);
      assertPacingAllowed(
        dto.send_interval_ms ?? current.sendIntervalMs,
        dto.pacing_override ?? current.pacingOverride,
      );
    }
    if (dto.opt_out_keywords !== undefined || dto.opt_in_keywords !== undefined) {
      const current = await this.clients.findById(clientId);
      if (!current) throw clientNotFound(clientId);
      assertKeywordsApart(dto.opt_out_keywords ?? current.optOutKeywords, dto.opt_in_keywords ?? current.optInKeywords);
    }
    const client = await this.clients.update(clientId, toSettings(dto));
    if (!client) throw clientNotFound(clientId);
    await this.record(admin, clientId, dto.active === false ? 'client.deactivated' : 'client.updated', {
      changed: Object.keys(dto),
    });
    if (dto.pacing_override !== undefined) await this.recordPacingOverride(admin, client);
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

  /** A change of the anti-ban floor gets its own audit entry, so it is easy to find who allowed faster sending. */
  private recordPacingOverride(
    admin: AdminAuth,
    client: Pick<ClientWithKey, 'id' | 'pacingOverride' | 'sendIntervalMs'>,
  ): Promise<void> {
    return this.record(admin, client.id, 'client.pacing_override', {
      pacing_override: client.pacingOverride,
      send_interval_ms: client.sendIntervalMs,
    });
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

/** A word in both lists would opt a number out and in at once. */
function assertKeywordsApart(optOut: string[] | undefined, optIn: string[] | undefined): void {
  const both = optOut?.find((k) => optIn?.includes(k));
  if (both !== undefined) {
    throw new ValidationError(`opt_in_keywords: "${both}" is also an opt-out keyword; a word can be in one list only`);
  }
}

function assertJitterRange(dto: UpdateClientDto): void {
  if (dto.jitter_min_ms !== undefined && dto.jitter_max_ms !== undefined && dto.jitter_min_ms > dto.jitter_max_ms) {
    throw new ValidationError('jitter_max_ms: must be at least jitter_min_ms');
  }
}

/** Below one message a second on a WhatsApp Web number only with the operator's explicit override. */
function assertPacingAllowed(sendIntervalMs: number, override: boolean): void {
  if (sendIntervalMs < BAILEYS_MIN_INTERVAL_MS && !override) {
    throw new ValidationError(
      `send_interval_ms: below ${BAILEYS_MIN_INTERVAL_MS} ms gets WhatsApp Web numbers banned; set pacing_override: true to allow it anyway`,
      'PACING_OVERRIDE_REQUIRED',
    );
  }
}

function clientNotFound(clientId: number): NotFoundError {
  return new NotFoundError(`Client ${clientId} does not exist`, 'CLIENT_NOT_FOUND');
}
