import { Injectable } from '@nestjs/common';
import { issueInstanceKey } from '@/common/crypto/api-keys';
import { encryptSecret } from '@/common/crypto/secret-box';
import { newWebhookSecret } from '@/common/crypto/standard-webhooks';
import { AppConfig } from '@/config/app-config';
import { Instance } from '@/generated/prisma/client';
import { AuditService } from '@/modules/audit/audit.service';
import { ClientAuth } from '@/modules/auth/auth-context';
import { graceEnd } from '@/modules/auth/dto/rotation.dto';
import { RotatedInstanceKeyDto, RotatedWebhookSecretDto } from './dto/instance.dto';
import { InstanceRepository } from './instance.repository';
import { instanceNotFound } from './instance-access';
import { Actor, InstancesService } from './instances.service';

/**
 * Rotation of an instance's credentials, for its reseller and for the operator: its API key and its webhook signing
 * secret, each with a grace period during which the old one still works. Every rotation is audited.
 */
@Injectable()
export class InstanceCredentialsService {
  constructor(
    private readonly lookups: InstancesService,
    private readonly instances: InstanceRepository,
    private readonly config: AppConfig,
    private readonly audit: AuditService,
  ) {}

  async rotateKey(
    auth: ClientAuth,
    idOrName: string,
    graceSeconds: number,
    actor: Actor,
  ): Promise<RotatedInstanceKeyDto> {
    return this.issueKey(await this.lookups.find(auth, idOrName), graceSeconds, actor);
  }

  async rotateKeyForOperator(id: string, graceSeconds: number, actor: Actor): Promise<RotatedInstanceKeyDto> {
    return this.issueKey(await this.lookups.findForOperator(id), graceSeconds, actor);
  }

  async rotateWebhookSecret(
    auth: ClientAuth,
    idOrName: string,
    graceSeconds: number,
    actor: Actor,
  ): Promise<RotatedWebhookSecretDto> {
    return this.issueWebhookSecret(await this.lookups.find(auth, idOrName), graceSeconds, actor);
  }

  async rotateWebhookSecretForOperator(
    id: string,
    graceSeconds: number,
    actor: Actor,
  ): Promise<RotatedWebhookSecretDto> {
    return this.issueWebhookSecret(await this.lookups.findForOperator(id), graceSeconds, actor);
  }

  /** A new instance key; the instance's old keys keep working for the grace period (every process sees it in 1 s). */
  private async issueKey(instance: Instance, graceSeconds: number, actor: Actor): Promise<RotatedInstanceKeyDto> {
    const now = new Date();
    const expiresAt = graceEnd(now, graceSeconds);
    const key = issueInstanceKey();
    if (!(await this.instances.rotateKeyForClient(instance.clientId, instance.id, key, now, expiresAt))) {
      throw instanceNotFound(instance.name);
    }
    await this.record(instance, actor, 'instance.key_rotated', { key_prefix: key.prefix, grace_seconds: graceSeconds });
    return {
      instance_id: instance.id,
      api_key: key.plaintext,
      previous_key_expires_at: (expiresAt ?? now).toISOString(),
    };
  }

  /** A new signing secret; deliveries carry a second signature with the old one for the grace period. */
  private async issueWebhookSecret(
    instance: Instance,
    graceSeconds: number,
    actor: Actor,
  ): Promise<RotatedWebhookSecretDto> {
    const now = new Date();
    const expiresAt = graceEnd(now, graceSeconds);
    const secret = newWebhookSecret();
    const encrypted = encryptSecret(secret, this.config.encryptionKey);
    if (!(await this.instances.rotateWebhookSecretForClient(instance.clientId, instance.id, encrypted, expiresAt))) {
      throw instanceNotFound(instance.name);
    }
    await this.record(instance, actor, 'instance.webhook_secret_rotated', { grace_seconds: graceSeconds });
    return {
      instance_id: instance.id,
      webhook_secret: secret,
      previous_secret_expires_at: (expiresAt ?? now).toISOString(),
    };
  }

  private record(instance: Instance, actor: Actor, action: string, details: Record<string, unknown>): Promise<void> {
    const target = { clientId: instance.clientId, targetType: 'instance', targetId: instance.id };
    return this.audit.record({ ...actor, ...target, action, details: { name: instance.name, ...details } });
  }
}
