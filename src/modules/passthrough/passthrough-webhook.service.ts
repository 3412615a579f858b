import { Injectable } from '@nestjs/common';
import { ClientAuth } from '@/modules/auth/auth-context';
import { InstancesService } from '@/modules/instances/instances.service';
import { WebhookConfigService } from '@/modules/webhooks/webhook-config.service';
import { LegacySetWebhookDto } from './dto/set-webhook.dto';
import { PassthroughService } from './passthrough.service';
import { PassthroughCaller } from './passthrough-auth.guard';
import { UpstreamAnswer } from './upstream-answer';

/**
 * `/webhook/set` and `/webhook/find`: the tenant's webhook, kept by the gateway (deliveries are signed and retried);
 * the upstream's own webhook stays pointed at the gateway.
 */
@Injectable()
export class PassthroughWebhookService {
  constructor(
    private readonly core: PassthroughService,
    private readonly instances: InstancesService,
    private readonly webhooks: WebhookConfigService,
  ) {}

  /** Stores the tenant's webhook; the upstream's own webhook stays pointed at the gateway. Answers the upstream's row shape. */
  async setWebhook(caller: PassthroughCaller, name: string, body: LegacySetWebhookDto): Promise<UpstreamAnswer> {
    const { auth } = await this.core.resolve(caller, name);
    await this.webhooks.set(auth, name, body.webhook);
    return { status: 201, body: await this.webhookRow(auth, name) };
  }

  /** The tenant's webhook in the upstream's row shape, or `null` when none is set (contract §2.5). */
  async findWebhook(caller: PassthroughCaller, name: string): Promise<UpstreamAnswer> {
    const { auth } = await this.core.resolve(caller, name);
    return { status: 200, body: await this.webhookRow(auth, name) };
  }

  private async webhookRow(auth: ClientAuth, name: string): Promise<Record<string, unknown> | null> {
    const config = await this.webhooks.get(auth, name);
    const url = config.url ?? config.effective_url;
    if (!url) return null;
    const instance = await this.instances.resolve(auth, name);
    return {
      id: instance.id,
      url,
      headers: null,
      enabled: config.enabled,
      events: config.events,
      // The gateway delivers every event to one URL, signed, without media as base64.
      webhookByEvents: false,
      webhookBase64: false,
      createdAt: instance.createdAt.toISOString(),
      updatedAt: instance.updatedAt.toISOString(),
      instanceId: instance.id,
    };
  }
}
