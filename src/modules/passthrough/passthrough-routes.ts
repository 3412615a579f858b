import { UpstreamMethod } from '@/integrations/evolution/evolution.client';
import { LegacySendBodies, LegacySendDto } from './dto/send-message.dto';

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

/** How the gateway reads a send route's body. */
export interface SendRoute<Body> {
  /** What the send is logged and counted as. */
  messageType: (body: Body) => string;
  /** Who it goes to: `number`, or the reacted message's chat for a reaction (contract §2.2). */
  target: (body: Body) => string;
  /** How long the upstream holds the send before it reaches WhatsApp (paced from then, and waited for). */
  delayMs: (body: Body) => number;
  /** The body field that carries the file (a URL, base64, or a multipart upload upstream). */
  mediaField?: 'media' | 'audio' | 'sticker';
}

export type SendAction = keyof LegacySendBodies;

const numberOf = (body: LegacySendDto) => body.number;
const delayOf = (body: LegacySendDto) => body.delay ?? 0;
/** sendContact and sendReaction ignore `delay` upstream (contract §6). */
const noDelay = () => 0;

function sendOf(messageType: string, extra: Partial<SendRoute<LegacySendDto>> = {}): SendRoute<LegacySendDto> {
  return { messageType: () => messageType, target: numberOf, delayMs: delayOf, ...extra };
}

/** The send routes of the reference (§2). */
export const SEND_ROUTES: { [A in SendAction]: SendRoute<LegacySendBodies[A]> } = {
  sendText: sendOf('text'),
  sendMedia: { messageType: (body) => body.mediatype, target: numberOf, delayMs: delayOf, mediaField: 'media' },
  sendWhatsAppAudio: sendOf('audio', { mediaField: 'audio' }),
  sendLocation: sendOf('location'),
  sendContact: sendOf('contact', { delayMs: noDelay }),
  sendSticker: sendOf('sticker', { mediaField: 'sticker' }),
  sendPoll: sendOf('poll'),
  sendButtons: sendOf('buttons'),
  sendReaction: { messageType: () => 'reaction', target: (body) => body.key.remoteJid, delayMs: noDelay },
};
