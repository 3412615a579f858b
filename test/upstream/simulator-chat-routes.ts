import { WebhookInput } from './simulator-engine';
import {
  asRecord,
  badRequest,
  booleanField,
  created,
  HttpError,
  internalError,
  internalErrorList,
  ok,
  SimResponse,
  stringField,
} from './simulator-http';
import { markDeleted } from './simulator-messages';
import { groupListRefusal, numberCheckRefusal, socketErrorText } from './simulator-not-open';
import type { RequestContext } from './simulator-routes';
import {
  DELETE_MESSAGE_SCHEMA,
  FIND_MESSAGES_SCHEMA,
  GROUP_CREATE_SCHEMA,
  PROFILE_PICTURE_SCHEMA,
  READ_MESSAGES_SCHEMA,
  SETTINGS_SCHEMA,
  UPDATE_PARTICIPANTS_SCHEMA,
  WEBHOOK_SET_SCHEMA,
  WHATSAPP_NUMBERS_SCHEMA,
} from './simulator-schemas';
import {
  createJid,
  GroupMetadata,
  GroupParticipant,
  ids,
  InstanceSettings,
  isGroupJid,
  jidUser,
  SimInstance,
  StoredMessage,
  unixSeconds,
  WebhookRow,
} from './simulator-state';
import { assertValid, assertValidGroup, assertValidUnwrapped } from './simulator-validation';

type Body = Record<string, unknown>;

// --- /chat (contract §2.3) ---------------------------------------------------------------------------

/**
 * contract §2.3: this route has its own catch that answers 400 with the raw error object — no
 * `response` wrapper (numberCheckRefusal: a Boom's fields, or `{}`).
 */
export function whatsappNumbers(ctx: RequestContext, inst: SimInstance): SimResponse {
  const body = asRecord(ctx.body);
  assertValidUnwrapped(body, WHATSAPP_NUMBERS_SCHEMA);
  if (inst.state !== 'open') throw numberCheckRefusal(inst);
  const numbers = body['numbers'];
  // A TypeError serializes as `{}` (inferred).
  if (!Array.isArray(numbers)) throw new HttpError(400, {});
  return ok(
    numbers.map((n) => {
      const jid = createJid(String(n));
      const exists = isGroupJid(jid) || ctx.engine.isOnWhatsapp(jid);
      return { jid, exists, number: jidUser(jid) };
    }),
  );
}

/** contract §2.3: paged, newest first, from the messages this instance sent or received. */
export function findMessages(ctx: RequestContext, inst: SimInstance): SimResponse {
  const body = asRecord(ctx.body);
  assertValid(body, FIND_MESSAGES_SCHEMA);
  const page = positiveInt(body['page'], 1);
  const pageSize = positiveInt(body['offset'], 50); // contract §2.3: `offset` is the page size; `limit` is ignored
  const matching = inst.messages.filter(messageFilter(asRecord(body['where'])));
  const ordered = matching
    .map((m, index) => ({ m, index }))
    .sort((a, b) => b.m.messageTimestamp - a.m.messageTimestamp || b.index - a.index)
    .map(({ m }) => m);
  const records = ordered.slice((page - 1) * pageSize, page * pageSize).map(messageRecord);
  return ok({
    messages: { total: matching.length, pages: Math.ceil(matching.length / pageSize), currentPage: page, records },
  });
}

function positiveInt(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : fallback;
}

function messageFilter(where: Body): (m: StoredMessage) => boolean {
  const key = asRecord(where['key']);
  const range = asRecord(where['messageTimestamp']);
  const gte = toUnixSeconds(range['gte']);
  const lte = toUnixSeconds(range['lte']);
  return (m) =>
    matches(where['id'], m.dbId) &&
    matches(where['messageType'], m.messageType) &&
    matches(where['source'], m.source) &&
    matches(key['id'], m.key.id) &&
    matches(key['remoteJid'], m.key.remoteJid) &&
    // contract §2.3: a truthiness check, so `fromMe:false` filters nothing.
    (!key['fromMe'] || m.key.fromMe) &&
    // contract §2.3: the timestamp filter needs both bounds.
    (gte === undefined || lte === undefined || (m.messageTimestamp >= gte && m.messageTimestamp <= lte));
}

function matches(filter: unknown, actual: string): boolean {
  return filter === undefined || filter === null || filter === '' || filter === actual;
}

function toUnixSeconds(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return undefined;
  const parsed = Date.parse(value);
  return Number.isNaN(parsed) ? undefined : Math.floor(parsed / 1000);
}

function messageRecord(m: StoredMessage): Record<string, unknown> {
  return {
    id: m.dbId,
    key: { ...m.key },
    pushName: m.pushName,
    messageType: m.messageType,
    message: m.message,
    messageTimestamp: m.messageTimestamp,
    instanceId: m.instanceId,
    source: m.source,
    contextInfo: null,
    MessageUpdate: m.statusHistory.map((status) => ({ status })),
  };
}

export function markMessageAsRead(ctx: RequestContext, inst: SimInstance): SimResponse {
  assertValid(asRecord(ctx.body), READ_MESSAGES_SCHEMA);
  if (inst.state !== 'open') throw internalErrorList('Read messages fail', socketErrorText(inst, 'readMessages'));
  return created({ message: 'Read messages', read: 'success' });
}

/** contract §2.3: POST in v2; a Baileys error yields `null`, and the simulator has no pictures. */
export function fetchProfilePictureUrl(ctx: RequestContext): SimResponse {
  const body = asRecord(ctx.body);
  assertValid(body, PROFILE_PICTURE_SCHEMA);
  const number = stringField(body, 'number');
  // Inferred: createJid(undefined) is a TypeError → 500 with a string message.
  if (number === undefined) throw internalError("Cannot read properties of undefined (reading 'replace')");
  return ok({ wuid: createJid(number), profilePictureUrl: null });
}

/** contract §2.3: 201 with the raw revoke WAMessage; emits `messages.delete` with the key. */
export function deleteMessageForEveryone(ctx: RequestContext, inst: SimInstance): SimResponse {
  const body = asRecord(ctx.body);
  assertValid(body, DELETE_MESSAGE_SCHEMA);
  if (inst.state !== 'open')
    throw internalErrorList('Error while deleting message for everyone', socketErrorText(inst, 'sendMessage'));
  const key = {
    remoteJid: stringField(body, 'remoteJid') ?? '',
    fromMe: body['fromMe'] === true,
    id: stringField(body, 'id') ?? '',
  };
  markDeleted(ctx.engine, inst, key);
  return created({
    key: { remoteJid: key.remoteJid, fromMe: true, id: ids.messageId() },
    message: { protocolMessage: { key, type: 'REVOKE' } },
    messageTimestamp: String(unixSeconds()),
    status: 'PENDING',
  });
}

// --- /group (contract §2.4) --------------------------------------------------------------------------

export function createGroup(ctx: RequestContext, inst: SimInstance): SimResponse {
  const body = asRecord(ctx.body);
  // contract §2.4: /group/create goes through dataValidate (nested array), unlike the other group routes.
  assertValid(body, GROUP_CREATE_SCHEMA);
  if (inst.state !== 'open' || !inst.ownerJid)
    throw internalErrorList('Error creating group', socketErrorText(inst, 'groupCreate'));
  const owner = inst.ownerJid;
  const now = unixSeconds();
  const members = stringList(body['participants'])
    .map((p) => createJid(p))
    .filter((jid) => ctx.engine.isOnWhatsapp(jid)); // contract §2.4: numbers not on WhatsApp are dropped
  const promote = body['promoteParticipants'] === true;
  const participants: GroupParticipant[] = [
    { id: owner, admin: 'superadmin' },
    ...members.map((id) => ({ id, admin: promote ? ('admin' as const) : null })),
  ];
  const description = stringField(body, 'description');
  const group: GroupMetadata = {
    id: ids.groupJid(),
    subject: stringField(body, 'subject') ?? '',
    subjectOwner: owner,
    subjectTime: now,
    size: participants.length,
    creation: now,
    owner,
    desc: description,
    descId: description ? ids.messageId() : undefined,
    restrict: false,
    announce: false,
    isCommunity: false,
    isCommunityAnnounce: false,
    joinApprovalMode: false,
    memberAddMode: false,
    participants,
  };
  inst.groups.push(group);
  return created(structuredClone(group));
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** contract §2.4: `getParticipants` is mandatory in the query. */
export function fetchAllGroups(ctx: RequestContext, inst: SimInstance): SimResponse {
  const getParticipants = ctx.query.get('getParticipants');
  if (!getParticipants) throw badRequest('The getParticipants needs to be informed in the query');
  if (inst.state !== 'open') throw groupListRefusal(inst);
  const withParticipants = getParticipants === 'true';
  return ok(
    // eslint-disable-next-line @typescript-eslint/no-unused-vars -- the group without its stored-only settings
    inst.groups.map(({ participants, joinApprovalMode: _j, memberAddMode: _m, ...group }) => ({
      ...structuredClone(group),
      pictureUrl: null,
      linkedParent: null,
      ...(withParticipants ? { participants: structuredClone(participants) } : {}),
    })),
  );
}

/** contract §2.4: `groupJid` from the body or the query (`@g.us` appended), `{property,message}` errors. */
export function updateParticipant(ctx: RequestContext, inst: SimInstance): SimResponse {
  const body = { ...asRecord(ctx.body) };
  const rawJid = stringField(body, 'groupJid') ?? ctx.query.get('groupJid');
  if (!rawJid) {
    throw badRequest('The group id needs to be informed in the query', 'ex: "groupJid=120362@g.us"');
  }
  body['groupJid'] = rawJid.endsWith('@g.us') ? rawJid : `${rawJid}@g.us`;
  assertValidGroup(body, UPDATE_PARTICIPANTS_SCHEMA);
  if (inst.state !== 'open')
    throw badRequest('Error updating participants', socketErrorText(inst, 'groupParticipantsUpdate'));
  const group = inst.groups.find((g) => g.id === body['groupJid']);
  if (!group) throw badRequest('Error updating participants', 'Error: item-not-found');
  const action = String(body['action']);
  const updateParticipants = stringList(body['participants']).map((p) =>
    applyParticipantAction(group, action, createJid(p)),
  );
  group.size = group.participants.length;
  return created({ updateParticipants });
}

/** Per-participant WhatsApp codes: 409 when adding a member, 404 when touching a non-member. */
function applyParticipantAction(group: GroupMetadata, action: string, jid: string): Record<string, unknown> {
  const index = group.participants.findIndex((p) => p.id === jid);
  const member = index >= 0 ? group.participants[index] : undefined;
  const result = (status: string): Record<string, unknown> => ({
    status,
    jid,
    content: { tag: 'participant', attrs: { jid } },
  });
  if (action === 'add') {
    if (member) return result('409');
    group.participants.push({ id: jid, admin: null });
    return result('200');
  }
  if (!member) return result('404');
  if (action === 'remove') group.participants.splice(index, 1);
  if (action === 'promote') member.admin = 'admin';
  if (action === 'demote') member.admin = null;
  return result('200');
}

// --- /webhook and /settings (contract §2.5) ---------------------------------------------------------

export function setWebhook(ctx: RequestContext, inst: SimInstance): SimResponse {
  const body = asRecord(ctx.body);
  assertValid(body, WEBHOOK_SET_SCHEMA);
  const webhook = asRecord(body['webhook']);
  const enabled = booleanField(webhook, 'enabled') ?? false;
  const events = webhook['events'];
  // contract §2.5: `enabled:true` with `events` omitted crashes on `.length` → 500 (string message).
  if (enabled && !Array.isArray(events)) throw internalError("Cannot read properties of undefined (reading 'length')");
  const headers = webhook['headers'];
  const input: WebhookInput = {
    enabled,
    url: stringField(webhook, 'url'),
    headers: typeof headers === 'object' && headers !== null ? (headers as Record<string, unknown>) : undefined,
    byEvents: booleanField(webhook, 'byEvents'),
    base64: booleanField(webhook, 'base64'),
    events: Array.isArray(events) ? stringList(events) : [],
  };
  return created(webhookRow(ctx.engine.setWebhook(inst, input)));
}

export function findWebhook(_ctx: RequestContext, inst: SimInstance): SimResponse {
  return ok(inst.webhook ? webhookRow(inst.webhook) : null);
}

function webhookRow(row: WebhookRow): Record<string, unknown> {
  return { ...row, events: [...row.events], headers: row.headers ? { ...row.headers } : null };
}

const SETTINGS_KEYS: readonly (keyof InstanceSettings)[] = [
  'rejectCall',
  'msgCall',
  'groupsIgnore',
  'alwaysOnline',
  'readMessages',
  'readStatus',
  'syncFullHistory',
  'wavoipToken',
];

/** contract §2.5/§11: echoes the request body (unknown keys too) and stores the known ones. */
export function setSettings(ctx: RequestContext, inst: SimInstance): SimResponse {
  const body = asRecord(ctx.body);
  assertValid(body, SETTINGS_SCHEMA);
  const known = Object.fromEntries(SETTINGS_KEYS.filter((k) => body[k] !== undefined).map((k) => [k, body[k]]));
  ctx.engine.updateSettings(inst, known);
  return created({ settings: { instanceName: inst.name, settings: body } });
}

export function findSettings(_ctx: RequestContext, inst: SimInstance): SimResponse {
  return ok({ ...inst.settings });
}
