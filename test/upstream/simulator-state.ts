import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { qrDataUrl } from './simulator-qr';

/** contract §2.1 + product reference 1.3: `refused` follows a QR limit. */
export type ConnectionState = 'open' | 'connecting' | 'close' | 'refused';
export const CONNECTION_STATES: readonly ConnectionState[] = ['open', 'connecting', 'close', 'refused'];

/** contract §5: the statuses `messages.update` carries. */
export type MessageStatus = 'ERROR' | 'PENDING' | 'SERVER_ACK' | 'DELIVERY_ACK' | 'READ' | 'PLAYED' | 'DELETED';
export const ACK_STATUSES: readonly MessageStatus[] = ['ERROR', 'SERVER_ACK', 'DELIVERY_ACK', 'READ', 'PLAYED'];
export const DEFAULT_ACK_SEQUENCE: readonly MessageStatus[] = ['SERVER_ACK', 'DELIVERY_ACK', 'READ'];

export const INTEGRATIONS = ['WHATSAPP-BAILEYS', 'WHATSAPP-BUSINESS', 'EVOLUTION'] as const;

/** The Prisma `Webhook` row (contract §2.5). */
export interface WebhookRow {
  id: string;
  url: string;
  headers: Record<string, unknown> | null;
  enabled: boolean;
  events: string[];
  webhookByEvents: boolean;
  webhookBase64: boolean;
  createdAt: Date;
  updatedAt: Date;
  instanceId: string;
}

export interface InstanceSettings {
  rejectCall: boolean;
  msgCall: string;
  groupsIgnore: boolean;
  alwaysOnline: boolean;
  readMessages: boolean;
  readStatus: boolean;
  syncFullHistory: boolean;
  wavoipToken: string;
}

export interface QrCode {
  pairingCode: string | null;
  code: string;
  base64: string;
  count: number;
}

export interface MessageKey {
  remoteJid: string;
  fromMe: boolean;
  id: string;
}

/** A message as `prepareMessage()` renders it (contract §2.2) plus what findMessages needs. */
export interface StoredMessage {
  dbId: string;
  key: MessageKey;
  pushName: string;
  status: MessageStatus;
  message: Record<string, unknown>;
  messageType: string;
  messageTimestamp: number;
  instanceId: string;
  source: string;
  statusHistory: MessageStatus[];
}

export interface GroupParticipant {
  id: string;
  admin: 'superadmin' | 'admin' | null;
}

export interface GroupMetadata {
  id: string;
  subject: string;
  subjectOwner: string;
  subjectTime: number;
  size: number;
  creation: number;
  owner: string;
  desc: string | undefined;
  descId: string | undefined;
  restrict: boolean;
  announce: boolean;
  isCommunity: boolean;
  isCommunityAnnounce: boolean;
  joinApprovalMode: boolean;
  memberAddMode: boolean;
  participants: GroupParticipant[];
}

export interface SimInstance {
  id: string;
  name: string;
  token: string;
  integration: string;
  number: string | null;
  businessId: string | null;
  state: ConnectionState;
  /** Set by the first `open`; kept afterwards (contract §4.1: `sender` is missing before the first connection). */
  ownerJid: string | null;
  profileName: string | null;
  qr: QrCode | null;
  /**
   * Whether the upstream has made a WhatsApp socket for the instance: not until its first connect (a create with
   * `qrcode`, a connect, a scan). Calls that need the socket fail with a TypeError before that and with "Connection
   * Closed" after it whenever the instance is not open (contract §12).
   */
  hasSocket: boolean;
  /**
   * Background reconnect loops while WhatsApp cannot be reached (contract §12): each posts `connecting` again and
   * again until the instance opens, closes or is deleted; every connect adds one.
   */
  reconnectLoops: number;
  /** Bumped to stop the running loops: a loop whose generation is stale ends at its next tick. */
  loopGeneration: number;
  /** connectionState reads while a loop runs; the answer flips with each (contract §12). */
  stateReads: number;
  disconnectionReasonCode: number | null;
  disconnectionAt: Date | null;
  /** contract §12: the last disconnect as the JSON string the upstream stores, set by a logged-out close. */
  disconnectionObject: string | null;
  webhook: WebhookRow | null;
  settings: InstanceSettings;
  settingsRowId: string;
  settingsCreatedAt: Date;
  settingsUpdatedAt: Date;
  messages: StoredMessage[];
  groups: GroupMetadata[];
  createdAt: Date;
  updatedAt: Date;
  deleted: boolean;
}

export type DeepReadonly<T> = T extends (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends Date
    ? Readonly<Date>
    : T extends object
      ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
      : T;

export type SimInstanceView = DeepReadonly<SimInstance>;

export const DEFAULT_SETTINGS: Readonly<InstanceSettings> = {
  rejectCall: false,
  msgCall: '',
  groupsIgnore: false,
  alwaysOnline: false,
  readMessages: false,
  readStatus: false,
  syncFullHistory: false,
  wavoipToken: '',
};

export const ids = {
  uuid: (): string => randomUUID(),
  /** contract §1: generated tokens are `uuidv4().toUpperCase()`. */
  token: (): string => randomUUID().toUpperCase(),
  /** Baileys web message ids: `3EB0` + upper-case hex (16–20 chars). */
  messageId: (): string => `3EB0${randomBytes(9).toString('hex').toUpperCase()}`,
  /** Prisma cuid-looking row id. */
  rowId: (): string => `cm${randomBytes(12).toString('hex').slice(0, 23)}`,
  groupJid: (): string => `1203630${digits(11)}@g.us`,
  pairingCode: (): string => Array.from({ length: 8 }, () => 'ABCDEFGHJKLMNPQRSTVWXYZ23456789'[randomInt(30)]).join(''),
  ownerNumber: (): string => `5511${digits(4)}${1000 + randomInt(9000)}`,
};

function digits(count: number): string {
  return Array.from({ length: count }, () => String(randomInt(10))).join('');
}

export function newQrCode(count: number, number: string | null): QrCode {
  const ref = randomBytes(24).toString('base64');
  const keys = [16, 32, 32].map((size) => randomBytes(size).toString('base64'));
  const code = `2@${ref},${keys.join(',')},1`;
  return { pairingCode: number ? ids.pairingCode() : null, code, base64: qrDataUrl(code), count };
}

/**
 * `src/utils/createJid.ts` without the BR/MX/AR digit rewriting: JIDs pass through, ≥18 digits or a
 * long dashed id is a group, everything else becomes `<digits>@s.whatsapp.net`.
 */
export function createJid(number: string): string {
  const withoutDevice = number.replace(/:\d+/, '');
  if (/@(g\.us|s\.whatsapp\.net|lid|broadcast)/.test(withoutDevice)) return withoutDevice;
  const compact = withoutDevice.replace(/[\s+()]/g, '').split('@')[0] ?? '';
  if (compact.includes('-') && compact.length >= 24) return `${compact.replace(/[^\d-]/g, '')}@g.us`;
  const onlyDigits = compact.replace(/\D/g, '');
  if (onlyDigits.length >= 18) return `${onlyDigits}@g.us`;
  return `${onlyDigits}@s.whatsapp.net`;
}

export function jidUser(jid: string): string {
  return jid.split('@')[0] ?? jid;
}

export function isGroupJid(jid: string): boolean {
  return jid.endsWith('@g.us');
}

/** contract §3: groups, `@broadcast` and `@lid` JIDs skip the onWhatsApp check. */
export function bypassesNumberCheck(jid: string): boolean {
  return isGroupJid(jid) || jid.includes('@broadcast') || jid.endsWith('@lid');
}

export function unixSeconds(date = new Date()): number {
  return Math.floor(date.getTime() / 1000);
}

/** class-validator `isURL` (protocol optional, TLD required) — close enough for the media checks. */
export function looksLikeUrl(value: unknown): boolean {
  if (typeof value !== 'string' || /\s/.test(value)) return false;
  return /^((https?|ftp):\/\/)?[\w-]+(\.[\w-]+)*\.[a-z]{2,}(:\d+)?([/?#]\S*)?$/i.test(value) || isLocalUrl(value);
}

function isLocalUrl(value: string): boolean {
  return /^https?:\/\/(localhost|\d{1,3}(\.\d{1,3}){3})(:\d+)?([/?#]\S*)?$/i.test(value);
}

/** class-validator `isBase64`: raw base64 only, so a `data:` URI is neither a URL nor base64. */
export function looksLikeBase64(value: unknown): boolean {
  return (
    typeof value === 'string' && value.length > 0 && value.length % 4 === 0 && /^[A-Za-z0-9+/]+={0,2}$/.test(value)
  );
}
