import { Injectable, Logger } from '@nestjs/common';
import { isRecord } from '@/common/validation/is-record';
import { EvolutionClient, instanceAuth } from '@/integrations/evolution/evolution.client';
import { FetchedInstance, QrCode } from '@/integrations/evolution/evolution.types';
import { InstanceResponseDto } from '@/modules/instances/dto/instance.dto';
import { instanceNotFound } from '@/modules/instances/instance-access';
import { InstancesService } from '@/modules/instances/instances.service';
import { WebhookConfigService } from '@/modules/webhooks/webhook-config.service';
import { LegacyCreateInstanceDto } from './dto/create-instance.dto';
import { PassthroughService } from './passthrough.service';
import { PassthroughCaller } from './passthrough-auth.guard';
import { FORWARDED } from './passthrough-routes';
import { UpstreamAnswer } from './upstream-answer';

/** The instance settings of create and settings/set (contract §2.1, §2.5), with the upstream's defaults. */
const DEFAULT_SETTINGS = {
  rejectCall: false,
  msgCall: '',
  groupsIgnore: false,
  alwaysOnline: false,
  readMessages: false,
  readStatus: false,
  syncFullHistory: false,
  wavoipToken: '',
};
type Settings = typeof DEFAULT_SETTINGS;
const SETTING_KEYS = Object.keys(DEFAULT_SETTINGS) as (keyof Settings)[];

const LIST_LIMIT = 10000;
const SUCCESS = (message: string) => ({ status: 'SUCCESS', error: false, response: { message } });

/** `/instance/create`, `/instance/fetchInstances` and `/instance/delete`: the gateway's own, in the upstream's shapes. */
@Injectable()
export class PassthroughInstancesService {
  private readonly logger = new Logger(PassthroughInstancesService.name);

  constructor(
    private readonly core: PassthroughService,
    private readonly instances: InstancesService,
    private readonly webhooks: WebhookConfigService,
    private readonly evolution: EvolutionClient,
  ) {}

  /**
   * Creates the instance for the caller's client through the reseller rules (name, limits, rollback), then answers
   * in the upstream's create shape with `hash.apikey` = the gateway's instance key.
   */
  async create(caller: PassthroughCaller, body: LegacyCreateInstanceDto): Promise<UpstreamAnswer> {
    const auth = await this.core.creator(caller, body);
    // The webhook URL goes in with the create, so a URL the gateway may not call is refused before anything is made.
    const dto = {
      instanceName: body.instanceName,
      integration: body.integration,
      webhook_url: body.webhook?.url,
      qrcode: body.qrcode === true,
      number: body.number || undefined,
    };
    const { created, qrcode } = await this.instances.createInstance(auth.clientId, dto, this.core.actor(caller, auth));
    const name = created.instance_name;

    const webhook = body.webhook ? await this.webhooks.set(auth, name, body.webhook) : undefined;
    const given = SETTING_KEYS.filter((key) => body[key] !== undefined);
    const settings =
      given.length > 0
        ? await this.applySettings(created.instance_id, name, Object.fromEntries(given.map((k) => [k, body[k]])))
        : { ...DEFAULT_SETTINGS };
    return {
      status: 201,
      body: {
        instance: {
          instanceName: name,
          instanceId: created.instance_id,
          integration: created.integration,
          webhookWaBusiness: null,
          accessTokenWaBusiness: '',
          // With qrcode the upstream is connecting and the instance waits for a scan; without, nothing connected yet.
          status: qrcode ? 'connecting' : 'close',
        },
        hash: { apikey: created.api_key },
        webhook_secret: created.webhook_secret,
        webhook: webhook?.url ? { webhookUrl: webhook.url, webhookByEvents: false, webhookBase64: false } : {},
        websocket: {},
        rabbitmq: {},
        nats: {},
        sqs: {},
        settings,
        ...(qrcode ? { qrcode: legacyQr(qrcode) } : {}),
      },
    };
  }

  /** The caller's instances in the upstream's row shape, from the gateway's data plus live upstream fields; never a token. */
  async fetchInstances(caller: PassthroughCaller, query: Record<string, unknown>): Promise<UpstreamAnswer> {
    const byName = typeof query.instanceName === 'string' && query.instanceName !== '' ? query.instanceName : undefined;
    const byId = typeof query.instanceId === 'string' && query.instanceId !== '' ? query.instanceId : undefined;
    let rows: (InstanceResponseDto & { client_id?: number; client_name?: string })[];
    if (caller.kind === 'master') {
      rows = (await this.instances.listForOperator({}, LIST_LIMIT, 0)).instances;
    } else {
      rows = (await this.instances.list(caller.auth.clientId, LIST_LIMIT, 0)).instances;
      if (caller.auth.instanceId) rows = rows.filter((r) => r.instance_id === caller.auth.instanceId);
    }
    rows = rows.filter((r) => (!byName || r.instance_name === byName) && (!byId || r.instance_id === byId));
    if ((byName || byId) && rows.length === 0) throw instanceNotFound(byName ?? byId ?? '');

    const live = await this.liveRows(rows);
    return {
      status: 200,
      body: rows.map((row) => legacyRow(row, live.get(row.instance_name), caller.kind === 'master')),
    };
  }

  /** Deletes upstream and in the gateway (soft delete: logs stay, the instance's keys stop working). */
  async remove(caller: PassthroughCaller, name: string): Promise<UpstreamAnswer> {
    const { auth, instance } = await this.core.resolve(caller, name);
    await this.instances.remove(auth, instance.id, this.core.actor(caller, auth));
    return { status: 200, body: SUCCESS('Instance deleted') };
  }

  /** Settings given on create reach the upstream's settings/set; a failure there does not undo the create. */
  private async applySettings(instanceId: string, name: string, settings: Partial<Settings>): Promise<Settings> {
    const merged = { ...DEFAULT_SETTINGS, ...settings };
    try {
      const { method, route } = FORWARDED.setSettings;
      const context = { operation: 'save the settings', instanceName: name };
      const res = await this.evolution.forward({
        method,
        route,
        instanceName: name,
        auth: instanceAuth(instanceId),
        body: merged,
        context,
      });
      if (res.status >= 200 && res.status < 300) return merged;
      this.logger.warn({ instanceName: name, status: res.status }, 'The upstream refused the settings given on create');
    } catch (err) {
      this.logger.warn(
        { instanceName: name, err: err instanceof Error ? err.message : String(err) },
        'Could not apply the settings given on create',
      );
    }
    return { ...DEFAULT_SETTINGS };
  }

  /**
   * Live upstream fields for the listed instances, from each one's upstream: one lookup for a lone instance, one list
   * call per upstream otherwise. An upstream that fails leaves its rows without live fields.
   */
  private async liveRows(
    rows: { instance_id: string; instance_name: string }[],
  ): Promise<Map<string, FetchedInstance>> {
    if (rows.length === 0) return new Map();
    const upstreamOf = await this.instances.upstreamsOf(rows.map((r) => r.instance_id));
    const namesByUpstream = new Map<number, string[]>();
    for (const row of rows) {
      const upstreamId = upstreamOf.get(row.instance_id);
      if (upstreamId == null) continue;
      namesByUpstream.set(upstreamId, [...(namesByUpstream.get(upstreamId) ?? []), row.instance_name]);
    }
    const live = new Map<string, FetchedInstance>();
    await Promise.all(
      [...namesByUpstream].map(async ([upstreamId, names]) => {
        try {
          const fetched =
            names.length === 1
              ? [await this.evolution.fetchInstance(upstreamId, names[0]!)].filter((r) => r !== undefined)
              : await this.evolution.fetchAllInstances(upstreamId);
          const wanted = new Set(names);
          for (const r of fetched) if (wanted.has(r.name)) live.set(r.name, r);
        } catch (err) {
          this.logger.warn(
            { upstreamId, err: err instanceof Error ? err.message : String(err) },
            'Listing instances without live upstream fields',
          );
        }
      }),
    );
    return live;
  }
}

/** The create answer's QR (contract §2.1): `{count: 0}` when none came within the upstream's wait. */
function legacyQr(qr: QrCode): Record<string, unknown> {
  if (typeof qr.base64 !== 'string' && typeof qr.code !== 'string') return { count: 0 };
  return { pairingCode: qr.pairingCode ?? null, code: qr.code, base64: qr.base64, count: qr.count ?? 1 };
}

type ListedRow = InstanceResponseDto & { client_id?: number; client_name?: string };

/** The upstream's fetchInstances row (contract §2.1), whitelisted: the upstream's token and ids never get in. */
function legacyRow(row: ListedRow, live: FetchedInstance | undefined, withClient: boolean): Record<string, unknown> {
  const stored = isRecord(live?.Setting) ? live.Setting : undefined;
  const setting = stored
    ? Object.fromEntries(SETTING_KEYS.filter((k) => k in stored).map((k) => [k, stored[k]]))
    : null;
  const count = isRecord(live?._count) ? live._count : null;
  return {
    id: row.instance_id,
    name: row.instance_name,
    connectionStatus:
      live?.connectionStatus ?? (row.status === 'pending' || row.status === 'refused' ? 'close' : row.status),
    ownerJid: live?.ownerJid ?? row.owner_jid,
    profileName: live?.profileName ?? null,
    profilePicUrl: live?.profilePicUrl ?? null,
    integration: row.integration,
    number: live?.number ?? null,
    businessId: null,
    disconnectionReasonCode: live?.disconnectionReasonCode ?? null,
    disconnectionAt: live?.disconnectionAt ?? null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    Setting: setting,
    _count: count,
    ...(withClient ? { client_id: row.client_id, client_name: row.client_name } : {}),
  };
}
