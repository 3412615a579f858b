import { ValidationError } from '@/common/errors/app-error';
import { isRecord } from '@/common/validation/is-record';
import { UpstreamMethod } from '@/integrations/evolution/evolution.client';
import { MEDIA_TYPES } from '@/modules/messages/dto/send.dto';

/** A legacy route the gateway forwards as it is, once the caller may touch the instance. */
export interface ForwardedRoute {
  /** The upstream's real method (contract §2), whatever method the reference documents. */
  method: UpstreamMethod;
  /** `<group>/<action>`; the instance name follows. */
  route: string;
  /** Query parameters the upstream may see; every other one is dropped. */
  query?: readonly string[];
  /** What the call does, for error messages: "could not <operation>". */
  operation: string;
  extraTimeoutMs?: number;
}

function route(
  method: UpstreamMethod,
  path: string,
  operation: string,
  extra: Partial<ForwardedRoute> = {},
): ForwardedRoute {
  return { method, route: path, operation, ...extra };
}

/** contract §2.1, §2.3-§2.5; restart, fetchProfilePictureUrl and updateParticipant are POST upstream. */
export const FORWARDED = {
  connect: route('GET', 'instance/connect', 'fetch a QR code', { query: ['number'], extraTimeoutMs: 10000 }),
  connectionState: route('GET', 'instance/connectionState', 'read the connection state'),
  restart: route('POST', 'instance/restart', 'restart the instance', { extraTimeoutMs: 10000 }),
  logout: route('DELETE', 'instance/logout', 'log out the instance'),
  whatsappNumbers: route('POST', 'chat/whatsappNumbers', 'check the numbers'),
  findMessages: route('POST', 'chat/findMessages', 'fetch the chat history'),
  markMessageAsRead: route('POST', 'chat/markMessageAsRead', 'mark the messages as read'),
  fetchProfilePictureUrl: route('POST', 'chat/fetchProfilePictureUrl', 'fetch the profile picture'),
  deleteMessageForEveryone: route('DELETE', 'chat/deleteMessageForEveryone', 'delete the message for everyone'),
  createGroup: route('POST', 'group/create', 'create the group'),
  fetchAllGroups: route('GET', 'group/fetchAllGroups', 'list the groups', { query: ['getParticipants'] }),
  updateParticipant: route('POST', 'group/updateParticipant', 'update the group participants', { query: ['groupJid'] }),
  setSettings: route('POST', 'settings/set', 'save the settings'),
  findSettings: route('GET', 'settings/find', 'read the settings'),
} satisfies Record<string, ForwardedRoute>;

/** The send routes of the reference (§2), with the message type each one is logged and counted as. */
export const SEND_ROUTES = {
  sendText: () => 'text',
  sendMedia: (body: Record<string, unknown>) => mediaTypeOf(body),
  sendWhatsAppAudio: () => 'audio',
  sendLocation: () => 'location',
  sendContact: () => 'contact',
  sendSticker: () => 'sticker',
  sendPoll: () => 'poll',
  sendButtons: () => 'buttons',
  sendReaction: () => 'reaction',
} satisfies Record<string, (body: Record<string, unknown>) => string>;

export type SendAction = keyof typeof SEND_ROUTES;

function mediaTypeOf(body: Record<string, unknown>): string {
  const type = body.mediatype;
  if (typeof type !== 'string' || !(MEDIA_TYPES as readonly string[]).includes(type)) {
    throw new ValidationError(`mediatype: must be one of ${MEDIA_TYPES.join(', ')}`);
  }
  return type;
}

/** Who a send goes to: `number`, or the reacted message's chat for a reaction (contract §2.2). */
export function sendTarget(action: SendAction, body: Record<string, unknown>): string {
  if (action === 'sendReaction') {
    const key = body.key;
    const jid = isRecord(key) ? key.remoteJid : undefined;
    if (typeof jid !== 'string' || jid.trim() === '')
      throw new ValidationError('key.remoteJid: is required (the chat of the message to react to)');
    return jid;
  }
  const number = body.number;
  if (typeof number !== 'string' || number.trim() === '')
    throw new ValidationError('number: is required: digits with the country code, or a group JID');
  return number;
}
