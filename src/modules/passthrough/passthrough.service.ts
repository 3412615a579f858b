import { Inject, Injectable, Logger } from '@nestjs/common';
import { isURL } from 'class-validator';
import { AppError, ForbiddenError, ValidationError } from '@/common/errors/app-error';
import { MediaFetcher } from '@/common/net/media-fetcher';
import { MAX_INT_ID } from '@/common/validation/parse-positive-id.pipe';
import { AppConfig } from '@/config/app-config';
import { Instance } from '@/generated/prisma/client';
import { EvolutionClient, instanceAuth, RawUpstreamResponse } from '@/integrations/evolution/evolution.client';
import {
  embeddedError,
  FailureContext,
  mapUpstreamResponse,
  upstreamText,
} from '@/integrations/evolution/evolution.error-mapper';
import { EvolutionError } from '@/integrations/evolution/evolution.errors';
import { FetchedInstance, QrCode, SendResponse } from '@/integrations/evolution/evolution.types';
import { INSTANCE_TOKEN_STORE, InstanceTokenStore } from '@/integrations/evolution/instance-token.store';
import { AuthService } from '@/modules/auth/auth.service';
import { ClientAuth } from '@/modules/auth/auth-context';
import {
  INSTANCE_NAME,
  INSTANCE_NAME_RULE,
  InstanceResponseDto,
  INTEGRATIONS,
} from '@/modules/instances/dto/instance.dto';
import { instanceNotFound } from '@/modules/instances/instance-access';
import { Actor, InstancesService } from '@/modules/instances/instances.service';
import { SendService } from '@/modules/messages/send.service';
import { WebhookConfigService } from '@/modules/webhooks/webhook-config.service';
import { PassthroughCaller } from './passthrough-auth.guard';
import { FORWARDED, ForwardedRoute, SEND_ROUTES, SendAction, sendTarget } from './passthrough-routes';
import { cleanUpstreamBody, isRecord, pickQuery, UpstreamAnswer } from './upstream-answer';

/** `EventController.events` of the upstream (contract §2.5): the names a webhook/set body may list. */
const UPSTREAM_EVENTS = [
  'APPLICATION_STARTUP',
  'QRCODE_UPDATED',
  'MESSAGES_SET',
  'MESSAGES_UPSERT',
  'MESSAGES_EDITED',
  'MESSAGES_UPDATE',
  'MESSAGES_DELETE',
  'SEND_MESSAGE',
  'SEND_MESSAGE_UPDATE',
  'CONTACTS_SET',
  'CONTACTS_UPSERT',
  'CONTACTS_UPDATE',
  'PRESENCE_UPDATE',
  'CHATS_SET',
  'CHATS_UPSERT',
  'CHATS_UPDATE',
  'CHATS_DELETE',
  'GROUPS_UPSERT',
  'GROUP_UPDATE',
  'GROUP_PARTICIPANTS_UPDATE',
  'CONNECTION_UPDATE',
  'LABELS_EDIT',
  'LABELS_ASSOCIATION',
  'CALL',
  'TYPEBOT_START',
  'TYPEBOT_CHANGE_STATUS',
  'REMOVE_INSTANCE',
  'LOGOUT_INSTANCE',
  'INSTANCE_CREATE',
  'INSTANCE_DELETE',
  'STATUS_INSTANCE',
];

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

interface WebhookInput {
  url: string;
  events: string[];
  enabled: boolean;
}

/** A send the upstream refused: logged as failed with the mapped message, answered with the upstream's own body. */
class UpstreamRefusal extends Error {
  constructor(
    readonly mapped: EvolutionError,
    readonly response: RawUpstreamResponse,
  ) {
    super(mapped.message);
  }
}

/** The body field that carries each media send's file (a URL, base64, or a multipart upload upstream). */
const MEDIA_FIELDS: Partial<Record<SendAction, string>> = {
  sendMedia: 'media',
  sendWhatsAppAudio: 'audio',
  sendSticker: 'sticker',
};

/**
 * The reference's legacy Evolution API routes, per tenant. Every route resolves the named instance against the
 * caller first (404 before any upstream call), calls the upstream with the gateway's own credentials (global key or
 * the stored instance token, never the caller's key), and answers with the upstream's status and body, cleaned of the
 * gateway's secrets. Creates, lists, deletes and webhooks are the gateway's own; sends go through SendService.
 */
@Injectable()
export class PassthroughService {
  private readonly logger = new Logger(PassthroughService.name);

  constructor(
    private readonly instances: InstancesService,
    private readonly sender: SendService,
    private readonly webhooks: WebhookConfigService,
    private readonly evolution: EvolutionClient,
    private readonly auth: AuthService,
    private readonly config: AppConfig,
    private readonly mediaFetcher: MediaFetcher,
    @Inject(INSTANCE_TOKEN_STORE) private readonly tokens: InstanceTokenStore,
  ) {}

  // ---- instances ----

  /**
   * Creates the instance for the caller's client through the reseller rules (name, limits, rollback), then answers
   * in the upstream's create shape with `hash.apikey` = the gateway's instance key.
   */
  async create(caller: PassthroughCaller, raw: unknown): Promise<UpstreamAnswer> {
    const body = requireObject(raw);
    const auth = await this.creator(caller, body);
    const input = readCreate(body);
    // The webhook URL goes in with the create, so a URL the gateway may not call is refused before anything is made.
    const dto = {
      instanceName: input.instanceName,
      integration: input.integration,
      webhook_url: input.webhook?.url,
      qrcode: input.qrcode,
      number: input.number,
    };
    const { created, qrcode } = await this.instances.createInstance(auth.clientId, dto, this.actor(caller, auth));
    const name = created.instance_name;

    const webhook = input.webhook ? await this.webhooks.set(auth, name, input.webhook) : undefined;
    const settings = input.settings
      ? await this.applySettings(created.instance_id, name, input.settings)
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
      rows = (await this.instances.listForOperator(undefined, LIST_LIMIT, 0)).instances;
    } else {
      rows = (await this.instances.list(caller.auth.clientId, LIST_LIMIT, 0)).instances;
      if (caller.auth.instanceId) rows = rows.filter((r) => r.instance_id === caller.auth.instanceId);
    }
    rows = rows.filter((r) => (!byName || r.instance_name === byName) && (!byId || r.instance_id === byId));
    if ((byName || byId) && rows.length === 0) throw instanceNotFound(byName ?? byId ?? '');

    const live = await this.liveRows(rows.map((r) => r.instance_name));
    return {
      status: 200,
      body: rows.map((row) => legacyRow(row, live.get(row.instance_name), caller.kind === 'master')),
    };
  }

  /** Deletes upstream and in the gateway (soft delete: logs stay, the instance's keys stop working). */
  async remove(caller: PassthroughCaller, name: string): Promise<UpstreamAnswer> {
    const { auth, instance } = await this.resolve(caller, name);
    await this.instances.remove(auth, instance.id, this.actor(caller, auth));
    return { status: 200, body: SUCCESS('Instance deleted') };
  }

  // ---- routes forwarded as they are ----

  async forward(
    caller: PassthroughCaller,
    name: string,
    route: ForwardedRoute,
    body?: unknown,
    query?: Record<string, unknown>,
  ): Promise<UpstreamAnswer> {
    const { instance } = await this.resolve(caller, name);
    return this.call(instance, route, body, pickQuery(query, route.query));
  }

  /** The reference's `DELETE /chat/deleteMessage` is the upstream's deleteMessageForEveryone with `id` for `messageId`. */
  async deleteMessage(caller: PassthroughCaller, name: string, raw: unknown): Promise<UpstreamAnswer> {
    const body = requireObject(raw);
    if (body.onlyMe === true) {
      throw new ValidationError(
        'onlyMe: deleting a message only for yourself is not supported; omit onlyMe or set it to false to delete for everyone',
      );
    }
    const id = body.messageId ?? body.id;
    if (typeof id !== 'string' || id === '') throw new ValidationError('messageId: is required');
    const forwarded = {
      id,
      remoteJid: body.remoteJid,
      fromMe: body.fromMe,
      ...(body.participant !== undefined ? { participant: body.participant } : {}),
    };
    const { instance } = await this.resolve(caller, name);
    return this.call(instance, FORWARDED.deleteMessageForEveryone, forwarded);
  }

  /** GET with `?number=` in the reference, POST with `{number}` upstream (contract §2.3). */
  async fetchProfilePictureUrl(caller: PassthroughCaller, name: string, number: unknown): Promise<UpstreamAnswer> {
    if (typeof number !== 'string' || number.trim() === '') throw new ValidationError('number: is required');
    const { instance } = await this.resolve(caller, name);
    return this.call(instance, FORWARDED.fetchProfilePictureUrl, { number });
  }

  // ---- sends ----

  /**
   * A `/message/*` send, logged, paced, capped and counted exactly like a v1 send (source `passthrough`). The number is
   * normalised as on v1; the rest of the body reaches the upstream as the caller wrote it.
   */
  async send(caller: PassthroughCaller, name: string, action: SendAction, raw: unknown): Promise<UpstreamAnswer> {
    const body = requireObject(raw);
    const messageType = SEND_ROUTES[action](body);
    const recipient = this.sender.recipient(sendTarget(action, body));
    const { auth, instance } = await this.resolve(caller, name);
    const outgoing = await this.withFetchedMedia(action, body);
    const delay = typeof body.delay === 'number' && body.delay > 0 ? Math.min(body.delay, 120000) : 0;
    const context = { operation: 'send the message', instanceName: instance.name, mediaField: MEDIA_FIELDS[action] };
    let answer: RawUpstreamResponse | undefined;
    let logId: bigint | undefined;
    try {
      const logged = await this.sender.deliver({
        onLogged: (id) => (logId = id),
        instance,
        limits: auth.limits,
        recipient,
        messageType,
        source: 'passthrough',
        maxWaitMs: this.config.get('SEND_MAX_WAIT_MS'),
        upstreamDelayMs: delay,
        send: async (to) => {
          const forwarded = action === 'sendReaction' ? outgoing : { ...outgoing, number: to };
          const res = await this.evolution.forward({
            method: 'POST',
            route: `message/${action}`,
            instanceName: instance.name,
            auth: instanceAuth(instance.id),
            body: forwarded,
            extraTimeoutMs: delay,
            context,
          });
          const refused = sendRefusal(res, context);
          if (refused) throw new UpstreamRefusal(refused, res);
          answer = res;
          return res.body as SendResponse;
        },
      });
      return {
        ...(await this.cleaned(instance, answer ?? { status: 201, body: {} }, context)),
        headers: { 'X-Message-Log-Id': logged.id },
      };
    } catch (err) {
      // A failed send is in the log too: its answer names the row, whatever the failure.
      const logHeader: Record<string, string> = logId === undefined ? {} : { 'X-Message-Log-Id': logId.toString() };
      if (!(err instanceof UpstreamRefusal)) {
        if (err instanceof AppError) Object.assign(err.headers, logHeader);
        throw err;
      }
      const relayed = await this.relay(instance, err.response, context, logHeader);
      return { ...relayed, headers: { ...relayed.headers, ...logHeader } };
    }
  }

  /**
   * Media named by URL is fetched by the gateway through the outbound guard and sent upstream as base64, so the
   * upstream never fetches a tenant's URL from inside the deployment (see MediaFetcher).
   */
  private async withFetchedMedia(action: SendAction, body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const field = MEDIA_FIELDS[action];
    const value = field ? body[field] : undefined;
    if (!field || typeof value !== 'string' || !/^https?:\/\//i.test(value.trim())) return body;
    const fetched = await this.mediaFetcher.fetch(field, value.trim());
    const named =
      action === 'sendMedia'
        ? { mimetype: body.mimetype ?? fetched.mimetype, fileName: body.fileName ?? fetched.fileName }
        : {};
    return { ...body, [field]: fetched.base64, ...named };
  }

  // ---- webhook: the tenant's configuration, kept by the gateway ----

  /** Stores the tenant's webhook; the upstream's own webhook stays pointed at the gateway. Answers the upstream's row shape. */
  async setWebhook(caller: PassthroughCaller, name: string, raw: unknown): Promise<UpstreamAnswer> {
    const body = requireObject(raw);
    if (!isRecord(body.webhook))
      throw new ValidationError('webhook: is required: wrap the settings in a "webhook" object');
    const input = readWebhook(body.webhook, 'webhook');
    const { auth } = await this.resolve(caller, name);
    await this.webhooks.set(auth, name, input);
    return { status: 201, body: await this.webhookRow(auth, name) };
  }

  /** The tenant's webhook in the upstream's row shape, or `null` when none is set (contract §2.5). */
  async findWebhook(caller: PassthroughCaller, name: string): Promise<UpstreamAnswer> {
    const { auth } = await this.resolve(caller, name);
    return { status: 200, body: await this.webhookRow(auth, name) };
  }

  // ---- internals ----

  /**
   * The named instance as the caller may see it: a tenant key through the tenant-scoped lookup (an instance key sees
   * its own instance only), the master key acting for the instance's owner. Unknown or not yours → 404, before any
   * upstream call.
   */
  private async resolve(caller: PassthroughCaller, name: string): Promise<{ auth: ClientAuth; instance: Instance }> {
    if (caller.kind === 'tenant')
      return { auth: caller.auth, instance: await this.instances.resolve(caller.auth, name) };
    const instance = await this.instances.findLiveByNameForSystem(name);
    if (!instance) throw instanceNotFound(name);
    return { auth: await this.auth.actAsClient(instance.clientId), instance };
  }

  /** Which client a create is for: the client key's own, or the `client_id` the master key names. */
  private async creator(caller: PassthroughCaller, body: Record<string, unknown>): Promise<ClientAuth> {
    if (caller.kind === 'master') {
      const id = body.client_id;
      if (typeof id !== 'number' || !Number.isInteger(id) || id < 1 || id > MAX_INT_ID) {
        throw new ValidationError(
          'client_id: the master key must name the client that will own the instance (a positive integer)',
        );
      }
      return this.auth.actAsClient(id);
    }
    if (caller.auth.instanceId) {
      throw new ForbiddenError(
        'An instance key works on its own instance only; create instances with the client API key',
        'CLIENT_KEY_REQUIRED',
      );
    }
    if (body.client_id !== undefined)
      throw new ValidationError(
        'client_id: only the master key may name a client; a client key creates for its own client',
      );
    return caller.auth;
  }

  private actor(caller: PassthroughCaller, auth: ClientAuth): Actor {
    return caller.kind === 'master'
      ? { actorType: 'system', actorId: 'master-key' }
      : { actorType: 'client', actorId: String(auth.clientId) };
  }

  private async call(
    instance: Instance,
    route: ForwardedRoute,
    body?: unknown,
    query?: Record<string, string>,
  ): Promise<UpstreamAnswer> {
    const context = { operation: route.operation, instanceName: instance.name };
    const res = await this.evolution.forward({
      method: route.method,
      route: route.route,
      instanceName: instance.name,
      auth: instanceAuth(instance.id),
      body,
      query,
      extraTimeoutMs: route.extraTimeoutMs,
      context,
    });
    return this.relay(instance, res, context);
  }

  /**
   * The upstream's answer for the caller, with the quirks that break clients smoothed: a 401/403 means the gateway's
   * own credentials failed even after auto-heal (not the caller's key), so it becomes a 502; a 5xx is the upstream's
   * internals ("Connection Closed", TypeErrors), so it becomes the v1 answer (409 not connected, 400 naming the field
   * for a file the upstream cannot read, otherwise 502) and its text goes to the log only; HTTP 200 with `error: true`
   * (connect/restart, contract §2.1) becomes the error it is. Other statuses pass through with their bodies. `headers`
   * go on the error answers too.
   */
  private async relay(
    instance: Instance,
    res: RawUpstreamResponse,
    context: FailureContext,
    headers: Record<string, string> = {},
  ): Promise<UpstreamAnswer> {
    if (res.status === 401 || res.status === 403 || res.status >= 500) {
      const mapped = mapUpstreamResponse(res.status, res.body, context);
      // A 5xx that is the caller's fault (a file the upstream cannot read) is answered as such, not logged as a failure.
      if (res.status >= 500 && mapped.status >= 500) {
        this.logger.warn(
          { instanceName: instance.name, status: res.status, upstream: upstreamText(res.body) },
          `The upstream failed to ${context.operation}`,
        );
      }
      Object.assign(mapped.headers, headers);
      throw mapped;
    }
    const embedded = res.status >= 200 && res.status < 300 ? embeddedError(res.body, context) : undefined;
    if (embedded) throw embedded;
    return this.cleaned(instance, res, context);
  }

  private async cleaned(
    instance: Instance,
    res: RawUpstreamResponse,
    context: FailureContext,
  ): Promise<UpstreamAnswer> {
    // Read after the call: an auto-heal during it may have stored a new token.
    const secrets = [this.config.get('EVOLUTION_API_KEY'), await this.tokens.current(instance.id)];
    const explanation =
      `The WhatsApp server gave no reason why it could not ${context.operation} for "${instance.name}"; check that the instance ` +
      `is connected (GET /instance/connectionState/${instance.name}) and that the numbers, groups and message ids in the request exist`;
    return {
      status: res.status,
      body: cleanUpstreamBody(res.body, secrets, res.status >= 400 ? explanation : undefined),
    };
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

  /** Live upstream fields for the listed instances: one lookup for one instance, one list call otherwise; none if the upstream fails. */
  private async liveRows(names: string[]): Promise<Map<string, FetchedInstance>> {
    try {
      if (names.length === 0) return new Map();
      const rows =
        names.length === 1
          ? [await this.evolution.fetchInstance(names[0]!)].filter((r) => r !== undefined)
          : await this.evolution.fetchAllInstances();
      const wanted = new Set(names);
      return new Map(rows.filter((r) => wanted.has(r.name)).map((r) => [r.name, r]));
    } catch (err) {
      this.logger.warn(
        { err: err instanceof Error ? err.message : String(err) },
        'Listing instances without live upstream fields',
      );
      return new Map();
    }
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

function requireObject(raw: unknown): Record<string, unknown> {
  if (raw === undefined || raw === null) return {};
  if (!isRecord(raw)) throw new ValidationError('body: must be a JSON object');
  return raw;
}

/** Whether a send answer is a refusal, and how the gateway names it (contract §3). */
function sendRefusal(res: RawUpstreamResponse, context: FailureContext): EvolutionError | undefined {
  if (res.status < 200 || res.status >= 300) return mapUpstreamResponse(res.status, res.body, context);
  const embedded = embeddedError(res.body, context);
  if (embedded) return embedded;
  const key = isRecord(res.body) ? res.body.key : undefined;
  if (!isRecord(key) || typeof key.id !== 'string') {
    return new EvolutionError(
      'upstream_error',
      `The WhatsApp server answered the send on "${context.instanceName}" without a message id`,
      res.status,
      true,
    );
  }
  return undefined;
}

/** The create answer's QR (contract §2.1): `{count: 0}` when none came within the upstream's wait. */
function legacyQr(qr: QrCode): Record<string, unknown> {
  if (typeof qr.base64 !== 'string' && typeof qr.code !== 'string') return { count: 0 };
  return { pairingCode: qr.pairingCode ?? null, code: qr.code, base64: qr.base64, count: qr.count ?? 1 };
}

interface CreateInput {
  instanceName: string;
  integration?: (typeof INTEGRATIONS)[number];
  qrcode: boolean;
  number?: string;
  webhook?: WebhookInput;
  settings?: Partial<Settings>;
}

/**
 * The create body of the reference (and the upstream's, contract §2.1). `token` is ignored: the gateway chooses the
 * upstream token and hands out its own instance key. Proxy and other integration fields are ignored too.
 */
function readCreate(body: Record<string, unknown>): CreateInput {
  const problems: string[] = [];
  const name = body.instanceName;
  if (typeof name !== 'string' || !INSTANCE_NAME.test(name)) problems.push(`instanceName: ${INSTANCE_NAME_RULE}`);
  const integration = body.integration;
  if (integration !== undefined && !(INTEGRATIONS as readonly unknown[]).includes(integration)) {
    problems.push(`integration: must be one of ${INTEGRATIONS.join(', ')}`);
  }
  if (body.qrcode !== undefined && typeof body.qrcode !== 'boolean') problems.push('qrcode: must be a boolean');
  if (body.number !== undefined && typeof body.number !== 'string') problems.push('number: must be a string');
  let webhook: WebhookInput | undefined;
  if (body.webhook !== undefined && body.webhook !== null) {
    if (!isRecord(body.webhook)) problems.push('webhook: must be an object');
    else {
      try {
        webhook = readWebhook({ enabled: true, ...body.webhook }, 'webhook');
      } catch (err) {
        problems.push(err instanceof Error ? err.message : String(err));
      }
    }
  }
  const settings: Partial<Settings> = {};
  for (const key of SETTING_KEYS) {
    const value = body[key];
    if (value === undefined) continue;
    if (typeof value !== typeof DEFAULT_SETTINGS[key])
      problems.push(`${key}: must be a ${typeof DEFAULT_SETTINGS[key]}`);
    else (settings as Record<string, unknown>)[key] = value;
  }
  if (problems.length > 0) throw new ValidationError(problems.join('; '));
  return {
    instanceName: name as string,
    integration: integration as CreateInput['integration'],
    qrcode: body.qrcode === true,
    number: typeof body.number === 'string' && body.number !== '' ? body.number : undefined,
    webhook,
    settings: Object.keys(settings).length > 0 ? settings : undefined,
  };
}

/**
 * `{enabled, url, events?, byEvents?, base64?, headers?}` (contract §2.5). Unlike the upstream, `events` may be
 * omitted (all events) instead of crashing; `byEvents`, `base64` and `headers` are accepted and have no effect.
 */
function readWebhook(webhook: Record<string, unknown>, path: string): WebhookInput {
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
    !(Array.isArray(events) && events.length <= 50 && events.every((e) => UPSTREAM_EVENTS.includes(e as string)))
  ) {
    problems.push(
      `${path}.events: must be a list of event names such as MESSAGES_UPSERT (${UPSTREAM_EVENTS.length} known)`,
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
