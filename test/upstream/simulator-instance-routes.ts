import { NewInstance, WebhookInput } from './simulator-engine';
import {
  asRecord,
  badRequest,
  booleanField,
  created,
  notFound,
  ok,
  SimResponse,
  stringField,
  unauthorized,
} from './simulator-http';
import type { RequestContext } from './simulator-routes';
import { INSTANCE_CREATE_SCHEMA, PRESENCE_SCHEMA } from './simulator-schemas';
import { DEFAULT_SETTINGS, ids, InstanceSettings, INTEGRATIONS, SimInstance } from './simulator-state';
import { assertValid } from './simulator-validation';

// --- POST /instance/create (contract §2.1) ---------------------------------------------------------

export async function createInstance(ctx: RequestContext): Promise<SimResponse> {
  const body = asRecord(ctx.body);
  assertValid(body, INSTANCE_CREATE_SCHEMA);
  const input = readCreateBody(body);
  const inst = ctx.engine.create(input);
  const qrcode = body['qrcode'] === true && input.integration === 'WHATSAPP-BAILEYS';
  let qr: Record<string, unknown> | undefined;
  if (qrcode && ctx.engine.behaviour.whatsappReachable) qr = { ...ctx.engine.startConnecting(inst, input.number) };
  else if (qrcode) {
    // contract §11: no QR within the 5 s is exactly `{count: 0}`, and the connection keeps retrying (§12).
    ctx.engine.startReconnectLoop(inst);
    qr = { count: 0 };
  }
  // contract §2.1: with qrcode:true the upstream sleeps 5 s before answering (configurable here).
  if (qrcode && ctx.engine.options.createDelayMs > 0) {
    await ctx.engine.scheduler.sleep(ctx.engine.options.createDelayMs, 'request');
  }
  return created({ ...createResponse(ctx, inst, body), ...(qr ? { qrcode: qr } : {}) });
}

/** Every check that would make the upstream roll the instance back happens before anything is stored. */
function readCreateBody(body: Record<string, unknown>): NewInstance {
  const name = stringField(body, 'instanceName');
  // Inferred: the upstream reaches Prisma with no name and answers 400 with its error text.
  if (!name) throw badRequest('Argument `name` is missing.');
  const integration = stringField(body, 'integration');
  // contract §2.1: `integration` (lowercase) is not enum-checked by the schema, only by the channel factory.
  if (!integration || !(INTEGRATIONS as readonly string[]).includes(integration)) {
    throw badRequest('Invalid integration');
  }
  const webhook = readCreateWebhook(body['webhook']);
  const number = stringField(body, 'number') ?? null;
  if (integration === 'WHATSAPP-BUSINESS' && !number) throw badRequest('number is required');
  return {
    name,
    token: stringField(body, 'token') || ids.token(), // contract §1: client token verbatim, else uuidv4 upper-case
    integration,
    number,
    businessId: stringField(body, 'businessId') ?? null,
    settings: readCreateSettings(body),
    webhook,
  };
}

/** contract §2.1 gotcha: `webhook` without `events` crashes on `.length` and the create is rolled back. */
function readCreateWebhook(value: unknown): WebhookInput | null {
  if (value === undefined || value === null) return null;
  const webhook = asRecord(value);
  const events = webhook['events'];
  if (!Array.isArray(events)) throw badRequest("Cannot read properties of undefined (reading 'length')");
  const headers = webhook['headers'];
  return {
    enabled: true,
    url: stringField(webhook, 'url'),
    headers: typeof headers === 'object' && headers !== null ? (headers as Record<string, unknown>) : undefined,
    byEvents: booleanField(webhook, 'byEvents'),
    base64: booleanField(webhook, 'base64'),
    events: events.filter((e): e is string => typeof e === 'string'),
  };
}

function readCreateSettings(body: Record<string, unknown>): InstanceSettings {
  return {
    rejectCall: body['rejectCall'] === true,
    msgCall: stringField(body, 'msgCall') ?? '',
    groupsIgnore: body['groupsIgnore'] === true,
    alwaysOnline: body['alwaysOnline'] === true,
    readMessages: body['readMessages'] === true,
    readStatus: body['readStatus'] === true,
    syncFullHistory: body['syncFullHistory'] === true,
    wavoipToken: stringField(body, 'wavoipToken') ?? DEFAULT_SETTINGS.wavoipToken,
  };
}

/** contract §2.1 success body; sub-objects with only undefined fields serialize as `{}`. */
function createResponse(
  ctx: RequestContext,
  inst: SimInstance,
  body: Record<string, unknown>,
): Record<string, unknown> {
  const webhook = asRecord(body['webhook']);
  const business = inst.integration === 'WHATSAPP-BUSINESS';
  const enabledOf = (key: string): Record<string, unknown> => ({ enabled: asRecord(body[key])['enabled'] });
  return {
    instance: {
      instanceName: inst.name,
      instanceId: inst.id,
      integration: inst.integration,
      webhookWaBusiness: business ? `${ctx.engine.options.serverUrl()}/webhook/meta` : null,
      accessTokenWaBusiness: business ? 'evolution' : '',
      // contract §11: observed "close" even with qrcode:true (the state is read before connecting).
      status: 'close',
    },
    hash: inst.token, // contract §2.1: a plain string in v2
    webhook: {
      webhookUrl: webhook['url'],
      webhookHeaders: webhook['headers'],
      webhookByEvents: webhook['byEvents'],
      webhookBase64: webhook['base64'],
    },
    websocket: enabledOf('websocket'),
    rabbitmq: enabledOf('rabbitmq'),
    nats: enabledOf('nats'),
    sqs: enabledOf('sqs'),
    settings: { ...inst.settings },
  };
}

// --- GET /instance/fetchInstances (contract §1, §2.1) ---------------------------------------------

export function fetchInstances(ctx: RequestContext): SimResponse {
  const name = ctx.query.get('instanceName') ?? undefined;
  const instanceId = ctx.query.get('instanceId') ?? undefined;
  const live = [...ctx.engine.instances.values()];
  if (ctx.apikey !== ctx.engine.options.globalKey) {
    // contract §1: a non-global key sees only the instances carrying that token; none → 401.
    const mine = live.filter(
      (i) => i.token === ctx.apikey && (!name || i.name === name) && (!instanceId || i.id === instanceId),
    );
    if (mine.length === 0) throw unauthorized();
    return ok(mine.map(instanceRow));
  }
  // contract §11: an instance deleted a moment ago is still listed while the server removes it.
  const all = [...live, ...ctx.engine.lingering.values()];
  if (name) {
    const inst = ctx.engine.get(name) ?? ctx.engine.lingering.get(name);
    if (!inst) throw notFound(`Instance "${name}" not found`);
    return ok([instanceRow(inst)]);
  }
  if (instanceId) {
    const inst = all.find((i) => i.id === instanceId);
    if (!inst) throw notFound(`Instance "${instanceId}" not found`);
    return ok([instanceRow(inst)]);
  }
  return ok(all.map(instanceRow));
}

/** The Prisma `Instance` row with the relations `instanceInfo` includes (contract §2.1). */
function instanceRow(inst: SimInstance): Record<string, unknown> {
  return {
    id: inst.id,
    name: inst.name,
    // The DB column knows open/close/connecting only.
    connectionStatus: inst.state === 'refused' ? 'close' : inst.state,
    ownerJid: inst.ownerJid,
    profileName: inst.profileName,
    profilePicUrl: null,
    integration: inst.integration,
    number: inst.number,
    businessId: inst.businessId,
    token: inst.token, // contract §1 (#2677): exposed regardless of the EXPOSE flag
    clientName: 'evolution_exchange',
    disconnectionReasonCode: inst.disconnectionReasonCode,
    disconnectionObject: inst.disconnectionObject,
    disconnectionAt: inst.disconnectionAt,
    createdAt: inst.createdAt,
    updatedAt: inst.updatedAt,
    Chatwoot: null,
    Proxy: null,
    Rabbitmq: null,
    Nats: null,
    Sqs: null,
    Websocket: null,
    Setting: {
      id: inst.settingsRowId,
      ...inst.settings,
      createdAt: inst.settingsCreatedAt,
      updatedAt: inst.settingsUpdatedAt,
      instanceId: inst.id,
    },
    _count: {
      Message: inst.messages.length,
      Contact: new Set(inst.messages.map((m) => m.key.remoteJid)).size,
      Chat: new Set(inst.messages.map((m) => m.key.remoteJid)).size,
    },
  };
}

// --- connection routes (contract §2.1) ---------------------------------------------------------

export async function connect(ctx: RequestContext, inst: SimInstance): Promise<SimResponse> {
  if (inst.state === 'close' && !ctx.engine.behaviour.whatsappReachable) {
    // contract §11, §12: no QR after about 5 s, and one more background reconnect loop per call.
    ctx.engine.startReconnectLoop(inst);
    if (ctx.engine.behaviour.connectDelayMs > 0)
      await ctx.engine.scheduler.sleep(ctx.engine.behaviour.connectDelayMs, 'request');
    return ok({ count: 0 });
  }
  switch (inst.state) {
    case 'open':
      return ok({ instance: { instanceName: inst.name, state: 'open' } });
    case 'connecting':
      return ok({ ...(inst.qr ?? ctx.engine.startConnecting(inst)) });
    case 'close':
      return ok({ ...ctx.engine.startConnecting(inst, ctx.query.get('number') ?? inst.number) });
    case 'refused':
      // Neither open, connecting nor close: the controller's fall-through shape.
      return ok({ instance: { instanceName: inst.name, status: inst.state }, qrcode: inst.qr ?? { count: 0 } });
  }
}

export function connectionState(ctx: RequestContext, inst: SimInstance): SimResponse {
  return ok({ instance: { instanceName: inst.name, state: ctx.engine.observedState(inst) } });
}

/** contract §12: while the server retries, logout answers 200 or 400 depending on the flipping state. */
export function logout(ctx: RequestContext, inst: SimInstance): SimResponse {
  if (ctx.engine.observedState(inst) === 'close') throw badRequest(`The "${inst.name}" instance is not connected`);
  ctx.engine.logout(inst);
  return ok({ status: 'SUCCESS', error: false, response: { message: 'Instance logged out' } });
}

/** contract §12: a second delete while the first one completes answers 200 as well. */
export function deleteInstance(ctx: RequestContext, inst: SimInstance): SimResponse {
  if (!inst.deleted) ctx.engine.remove(inst);
  return ok({ status: 'SUCCESS', error: false, response: { message: 'Instance deleted' } });
}

/**
 * contract §2.1: POST only. A close instance answers HTTP 200 `{"error":true,"message":"[object Object]"}`
 * (a thrown exception object passed through `toString()`); otherwise the socket is restarted and
 * the connect output returned.
 */
export function restart(ctx: RequestContext, inst: SimInstance): SimResponse {
  const state = ctx.engine.observedState(inst);
  if (state === 'close') return ok({ error: true, message: '[object Object]' });
  // An open session comes straight back (the racy real answer is usually still "open").
  if (state === 'open') return ok({ instance: { instanceName: inst.name, state: 'open' } });
  // contract §12: a retrying instance alternates between this and the error above.
  if (inst.reconnectLoops > 0 && inst.state === 'close') return ok({ count: 0 });
  return ok({ ...ctx.engine.startConnecting(inst) });
}

export function setPresence(ctx: RequestContext): SimResponse {
  const body = asRecord(ctx.body);
  assertValid(body, PRESENCE_SCHEMA);
  return created({ presence: body['presence'] });
}

// --- GET / (contract §1) ---------------------------------------------------------------------------

export function welcome(ctx: RequestContext): SimResponse {
  return ok({
    status: 200,
    message: 'Welcome to the Evolution API, it is working!',
    version: '2.3.6',
    clientName: 'evolution_exchange',
    manager: `${ctx.engine.options.serverUrl()}/manager`,
    documentation: 'https://doc.evolution-api.com',
    whatsappWebVersion: '2.3000.1028450369',
  });
}
