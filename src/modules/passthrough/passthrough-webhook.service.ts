import { Injectable } from '@nestjs/common';
import { isURL } from 'class-validator';
import { ValidationError } from '@/common/errors/app-error';
import { isRecord } from '@/common/validation/is-record';
import { UPSTREAM_EVENT_NAMES } from '@/integrations/evolution/upstream-webhook';
import { ClientAuth } from '@/modules/auth/auth-context';
import { InstancesService } from '@/modules/instances/instances.service';
import { WebhookConfigService } from '@/modules/webhooks/webhook-config.service';
import { PassthroughService } from './passthrough.service';
import { PassthroughCaller } from './passthrough-auth.guard';
import { requireObject, UpstreamAnswer } from './upstream-answer';

export interface WebhookInput {
  url: string;
  events: string[];
  enabled: boolean;
}

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
  async setWebhook(caller: PassthroughCaller, name: string, raw: unknown): Promise<UpstreamAnswer> {
    const body = requireObject(raw);
    if (!isRecord(body.webhook))
      throw new ValidationError('webhook: is required: wrap the settings in a "webhook" object');
    const input = readWebhook(body.webhook, 'webhook');
    const { auth } = await this.core.resolve(caller, name);
    await this.webhooks.set(auth, name, input);
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

export function readWebhook(webhook: Record<string, unknown>, path: string): WebhookInput {
  const problems: string[] = [];
  const { url, events, enabled } = webhook;
  if (
    typeof url !== 'string' ||
    url.length > 2000 ||
    !isURL(url, { protocols: ['http', 'https'], require_protocol: true, require_tld: false })
  ) {
    problems.push(`${path}.url: must be an http(s) URL`);
  }
  if (enabled !== undefined && typeof enabled !== 'boolean') problems.push(`${path}.enabled: must be a boolean`);
  if (
    events !== undefined &&
    !(Array.isArray(events) && events.length <= 50 && events.every((e) => UPSTREAM_EVENT_NAMES.includes(e as string)))
  ) {
    problems.push(
      `${path}.events: must be a list of event names such as MESSAGES_UPSERT (${UPSTREAM_EVENT_NAMES.length} known)`,
    );
  }
  for (const flag of ['byEvents', 'base64'] as const) {
    if (webhook[flag] !== undefined && typeof webhook[flag] !== 'boolean')
      problems.push(`${path}.${flag}: must be a boolean`);
  }
  if (problems.length > 0) throw new ValidationError(problems.join('; '));
  return {
    url: url as string,
    events: (events as string[] | undefined) ?? [],
    enabled: (enabled as boolean | undefined) ?? true,
  };
}
