import { createHmac, timingSafeEqual } from 'node:crypto';
import { AppConfig } from '@/config/app-config';
import { UpstreamWebhookConfig } from './evolution.types';

/** The header carrying the gateway's proof that a webhook came from the upstream it configured. */
export const UPSTREAM_WEBHOOK_TOKEN_HEADER = 'x-nextmavens-upstream-token';

/** `EventController.events` of the upstream (contract §2.5): the names a webhook/set body may list. */
export const UPSTREAM_EVENT_NAMES: readonly string[] = [
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

/** Upstream events the gateway consumes and forwards (the reference's event list, contract §4.1 names). */
export const UPSTREAM_WEBHOOK_EVENTS = [
  'APPLICATION_STARTUP',
  'QRCODE_UPDATED',
  'CONNECTION_UPDATE',
  'MESSAGES_UPSERT',
  'MESSAGES_UPDATE',
  'MESSAGES_DELETE',
  'SEND_MESSAGE',
  'CONTACTS_UPSERT',
  'CONTACTS_UPDATE',
  'PRESENCE_UPDATE',
  'CHATS_UPSERT',
  'CHATS_UPDATE',
  'CHATS_DELETE',
  'GROUPS_UPSERT',
  'GROUP_UPDATE',
  'GROUP_PARTICIPANTS_UPDATE',
  'CALL',
  'LOGOUT_INSTANCE',
  'REMOVE_INSTANCE',
];

/**
 * The upstream's webhook never carries a signature (contract §4.1), so the gateway registers a secret header derived
 * from ENCRYPTION_KEY, the upstream server and the instance's id: nothing to store, one instance's token is useless
 * for another, a later instance with a reused name gets a different one, and an event is taken only from the server
 * the instance lives on (another server holding an instance of that name was given other credentials).
 */
export function upstreamWebhookToken(config: AppConfig, instanceId: string, upstreamId: number): string {
  return createHmac('sha256', config.encryptionKey)
    .update(`upstream-webhook:${upstreamId}:${instanceId}`)
    .digest('hex');
}

/**
 * The token registered before upstreams were pooled, derived from the instance alone. It was only ever given to the
 * one server there was, which the instance lives on, so it still proves the event came from there.
 */
function tokenBeforePool(config: AppConfig, instanceId: string): string {
  return createHmac('sha256', config.encryptionKey).update(`upstream-webhook:${instanceId}`).digest('hex');
}

/** Instances whose expected tokens are kept, per configuration: a status webhook checks one per request. */
const EXPECTED_TOKENS_KEPT = 10_000;
const expectedTokens = new WeakMap<AppConfig, Map<string, Buffer[]>>();

function expectedFor(config: AppConfig, instanceId: string, upstreamId: number | null): Buffer[] {
  let tokens = expectedTokens.get(config);
  if (!tokens) expectedTokens.set(config, (tokens = new Map<string, Buffer[]>()));
  const cacheKey = `${upstreamId}:${instanceId}`;
  let expected = tokens.get(cacheKey);
  if (!expected) {
    if (tokens.size >= EXPECTED_TOKENS_KEPT) tokens.clear();
    const forms = [tokenBeforePool(config, instanceId)];
    if (upstreamId !== null) forms.push(upstreamWebhookToken(config, instanceId, upstreamId));
    expected = forms.map((t) => Buffer.from(t));
    tokens.set(cacheKey, expected);
  }
  return expected;
}

/** Whether `given` is the token registered for this instance on its upstream (`null`: an instance no server holds). */
export function isUpstreamWebhookToken(
  config: AppConfig,
  instanceId: string,
  upstreamId: number | null,
  given: string | undefined,
): boolean {
  if (!given) return false;
  const actual = Buffer.from(given);
  return expectedFor(config, instanceId, upstreamId).some(
    (expected) => expected.length === actual.length && timingSafeEqual(expected, actual),
  );
}

/** Always the gateway's own receiver; a tenant's URL is stored by the gateway and never given to the upstream. */
export function upstreamWebhookFor(
  config: AppConfig,
  instanceName: string,
  instanceId: string,
  upstreamId: number,
): UpstreamWebhookConfig {
  return {
    url: `${config.publicUrl}/webhooks/evolution/${encodeURIComponent(instanceName)}`,
    enabled: true,
    byEvents: false,
    base64: false,
    headers: { [UPSTREAM_WEBHOOK_TOKEN_HEADER]: upstreamWebhookToken(config, instanceId, upstreamId) },
    events: UPSTREAM_WEBHOOK_EVENTS,
  };
}
