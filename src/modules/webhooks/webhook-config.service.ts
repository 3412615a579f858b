import { Injectable } from '@nestjs/common';
import { assertAllowedUrl, OutboundGuard } from '@/common/net/outbound-guard';
import { ClientAuth } from '@/modules/auth/auth-context';
import { InstancesService } from '@/modules/instances/instances.service';
import { SetWebhookDto, WebhookConfigDto } from './dto/webhook-config.dto';

/**
 * A tenant's webhook per instance, kept by the gateway. The upstream's own webhook always points at the gateway's
 * receiver; a tenant never changes it.
 */
@Injectable()
export class WebhookConfigService {
  constructor(
    private readonly instances: InstancesService,
    private readonly guard: OutboundGuard,
  ) {}

  async get(auth: ClientAuth, instanceName: string): Promise<WebhookConfigDto> {
    const instance = await this.instances.resolve(auth, instanceName);
    const clientDefault = await this.instances.clientWebhookUrl(auth.clientId);
    return {
      instance: instance.name,
      url: instance.webhookUrl,
      events: instance.webhookEvents,
      enabled: instance.webhookEnabled,
      effective_url: instance.webhookEnabled ? (instance.webhookUrl ?? clientDefault) : null,
    };
  }

  async set(auth: ClientAuth, instanceName: string, dto: SetWebhookDto): Promise<WebhookConfigDto> {
    const instance = await this.instances.resolve(auth, instanceName);
    assertAllowedUrl(this.guard, 'url', dto.url);
    await this.instances.setWebhook(auth.clientId, instance.id, {
      webhookUrl: dto.url,
      webhookEvents: dto.events ?? [],
      webhookEnabled: dto.enabled ?? true,
    });
    return this.get(auth, instanceName);
  }
}
