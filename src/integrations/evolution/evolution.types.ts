/** Upstream shapes the gateway reads (contract §2). Only the fields the gateway uses are typed. */

export type UpstreamState = 'open' | 'connecting' | 'close' | 'refused';

/** Every error the upstream renders through its global handler (contract §0). */
export interface UpstreamErrorEnvelope {
  status?: number;
  error?: string | boolean;
  response?: { message?: unknown };
  message?: unknown;
}

export interface CreateInstanceRequest {
  instanceName: string;
  integration: string;
  qrcode: boolean;
  token?: string;
  number?: string;
  webhook?: UpstreamWebhookConfig;
}

export interface UpstreamWebhookConfig {
  url: string;
  enabled?: boolean;
  byEvents: boolean;
  base64: boolean;
  headers?: Record<string, string>;
  /** Always send an array: without it the upstream crashes (contract §2.1 gotcha). */
  events: string[];
}

export interface QrCode {
  pairingCode?: string | null;
  code?: string;
  base64?: string;
  count?: number;
}

export interface CreateInstanceResponse {
  instance: { instanceName: string; instanceId: string; integration: string; status: string };
  /** A plain string in v2: the instance token (contract §2.1). */
  hash: string;
  qrcode?: QrCode;
  [key: string]: unknown;
}

export interface ConnectionStateResponse {
  instance: { instanceName: string; state: UpstreamState };
}

export interface FetchedInstance {
  id: string;
  name: string;
  connectionStatus: UpstreamState;
  ownerJid?: string | null;
  integration?: string;
  token: string;
  [key: string]: unknown;
}

export interface MessageKey {
  remoteJid: string;
  fromMe: boolean;
  id: string;
}

/** The `prepareMessage()` object every send returns with 201 (contract §2.2). */
/** One answer of POST /chat/whatsappNumbers (contract §2.3, `OnWhatsAppDto`). */
export interface OnWhatsAppEntry {
  jid: string;
  exists: boolean;
  number: string;
}

export interface SendResponse {
  key: MessageKey;
  status: string;
  messageType?: string;
  messageTimestamp?: number;
  [key: string]: unknown;
}
