import { SimBehaviour } from './simulator-behaviour';
import { reasonPhrase } from './simulator-http';
import { Scheduler } from './simulator-scheduler';
import { ALL_EVENTS } from './simulator-schemas';
import {
  ConnectionState,
  createJid,
  DEFAULT_ACK_SEQUENCE,
  DEFAULT_SETTINGS,
  ids,
  InstanceSettings,
  jidUser,
  MessageStatus,
  newQrCode,
  QrCode,
  SimInstance,
  WebhookRow,
} from './simulator-state';
import { prepareDelivery, webhookAccepts, WebhookDispatcher } from './simulator-webhooks';

export interface EngineOptions {
  globalKey: string;
  createDelayMs: number;
  ackDelayMs: number;
  maxSendDelayMs: number;
  exposeTokenInWebhooks: boolean;
  serverUrl: () => string;
  /** The behaviour at start and after `reset()`. */
  behaviour: SimBehaviour;
}

export interface NewInstance {
  name: string;
  token: string;
  integration: string;
  number: string | null;
  businessId: string | null;
  settings: InstanceSettings;
  webhook: WebhookInput | null;
}

/** The `webhook` object of `/webhook/set` (and of `/instance/create`), already validated. */
export interface WebhookInput {
  enabled?: boolean;
  url?: string;
  headers?: Record<string, unknown>;
  byEvents?: boolean;
  base64?: boolean;
  events?: string[];
}

export interface OutgoingContent {
  message: Record<string, unknown>;
  messageType: string;
}

export interface InboundMessage {
  from: string;
  text: string;
  pushName?: string;
}

/** The Baileys disconnect error as the upstream stringifies it into `disconnectionObject` (shape inferred). */
function boomLike(statusCode: number): Record<string, unknown> {
  const payload = { statusCode, error: reasonPhrase(statusCode), message: 'Connection Failure' };
  return { output: { statusCode, payload } };
}

/**
 * The simulated upstream: instances, their WhatsApp connection and the webhooks state changes
 * produce. HTTP routes and the programmatic fault switches both drive this class, so they behave
 * identically.
 */
export class SimulatorEngine {
  readonly instances = new Map<string, SimInstance>();
  /** Deleted instances the server still holds for a while (contract §12: delete is eventually consistent). */
  readonly lingering = new Map<string, SimInstance>();
  readonly notOnWhatsapp = new Set<string>();
  ackSequence: MessageStatus[] = [...DEFAULT_ACK_SEQUENCE];
  behaviour: SimBehaviour;

  constructor(
    readonly options: EngineOptions,
    readonly scheduler: Scheduler,
    readonly webhooks: WebhookDispatcher,
  ) {
    this.behaviour = { ...options.behaviour };
  }

  get(name: string): SimInstance | undefined {
    return this.instances.get(name);
  }

  /** contract §12: a name deleted a moment ago still answers create with 403 "already in use". */
  nameTaken(name: string): boolean {
    return this.instances.has(name) || this.lingering.has(name);
  }

  /** For programmatic callers: an unknown name is a bug in the test, not an HTTP answer. */
  require(name: string): SimInstance {
    const inst = this.instances.get(name);
    if (!inst) throw new Error(`evolution simulator: unknown instance "${name}"`);
    return inst;
  }

  create(input: NewInstance): SimInstance {
    const now = new Date();
    const inst: SimInstance = {
      id: ids.uuid(),
      name: input.name,
      token: input.token,
      integration: input.integration,
      number: input.number,
      businessId: input.businessId,
      state: 'close',
      ownerJid: null,
      profileName: null,
      qr: null,
      hasSocket: false,
      reconnectLoops: 0,
      loopGeneration: 0,
      stateReads: 0,
      disconnectionReasonCode: null,
      disconnectionAt: null,
      disconnectionObject: null,
      webhook: null,
      settings: { ...input.settings },
      settingsRowId: ids.rowId(),
      settingsCreatedAt: now,
      settingsUpdatedAt: now,
      messages: [],
      groups: [],
      createdAt: now,
      updatedAt: now,
      deleted: false,
    };
    this.instances.set(inst.name, inst);
    if (input.webhook) this.setWebhook(inst, input.webhook);
    this.emit(inst, 'instance.create', { instanceName: inst.name, instanceId: inst.id });
    return inst;
  }

  /**
   * contract §2.5: a partial upsert — omitted `headers`/`byEvents`/`base64` keep their values;
   * `enabled:false` forces `events=[]`; `enabled:true` with `[]` stores every event.
   * Callers have already rejected `enabled:true` without `events` (the upstream's 500).
   */
  setWebhook(inst: SimInstance, input: WebhookInput): WebhookRow {
    const now = new Date();
    const enabled = input.enabled ?? true;
    const requested = input.events ?? [];
    const events = !enabled ? [] : requested.length === 0 ? [...ALL_EVENTS] : [...requested];
    const previous = inst.webhook;
    const row: WebhookRow = {
      id: previous?.id ?? ids.rowId(),
      url: input.url ?? previous?.url ?? '',
      headers: input.headers ?? previous?.headers ?? null,
      enabled,
      events,
      webhookByEvents: input.byEvents ?? previous?.webhookByEvents ?? false,
      webhookBase64: input.base64 ?? previous?.webhookBase64 ?? false,
      createdAt: previous?.createdAt ?? now,
      updatedAt: now,
      instanceId: inst.id,
    };
    inst.webhook = row;
    return row;
  }

  updateSettings(inst: SimInstance, settings: Partial<InstanceSettings>): void {
    inst.settings = { ...DEFAULT_SETTINGS, ...inst.settings, ...settings };
    inst.settingsUpdatedAt = new Date();
  }

  /** Queues one event on the instance's chain (connection events keep their order). */
  emit(inst: SimInstance, event: string, data: unknown): void {
    this.webhooks.enqueue(`instance:${inst.id}`, 0, () => this.deliverNow(inst, event, data));
  }

  deliverNow(inst: SimInstance, event: string, data: unknown): Promise<void> {
    const row = inst.webhook;
    if (!webhookAccepts(row, event)) return Promise.resolve();
    const prepared = prepareDelivery(row, event, data, {
      instanceName: inst.name,
      sender: inst.ownerJid,
      serverUrl: this.options.serverUrl(),
      // contract §4.1: the instance token only with AUTHENTICATION_EXPOSE_IN_FETCH_INSTANCES=true.
      apikey: this.options.exposeTokenInWebhooks ? inst.token : null,
    });
    return this.webhooks.deliver(event, inst.name, prepared);
  }

  // --- connection lifecycle (contract §2.1, §4.4) ---------------------------------------------

  /** close/refused → connecting: a fresh QR, `connection.update` then `qrcode.updated`. */
  startConnecting(inst: SimInstance, number: string | null = inst.number): QrCode {
    const qr = newQrCode((inst.qr?.count ?? 0) + 1, number);
    inst.qr = qr;
    inst.hasSocket = true;
    this.changeState(inst, 'connecting');
    this.emit(inst, 'connection.update', { instance: inst.name, state: 'connecting', statusReason: 200 });
    this.emit(inst, 'qrcode.updated', {
      qrcode: { instance: inst.name, pairingCode: qr.pairingCode, code: qr.code, base64: qr.base64 },
    });
    return qr;
  }

  /**
   * contract §11, §12: a connect that cannot reach WhatsApp starts a loop that posts `connection.update`
   * `connecting` at once and then every reconnectIntervalMs, with no QR and no `close`, until the instance opens,
   * closes or is deleted. The stored state stays `close` (fetchInstances lists it so). Each call adds one more loop.
   */
  startReconnectLoop(inst: SimInstance): void {
    inst.reconnectLoops += 1;
    inst.hasSocket = true;
    const generation = inst.loopGeneration;
    const tick = (): void => {
      if (inst.deleted || inst.loopGeneration !== generation) return;
      this.emit(inst, 'connection.update', { instance: inst.name, state: 'connecting', statusReason: 200 });
      this.scheduler.after(this.behaviour.reconnectIntervalMs, 'background', tick);
    };
    tick();
  }

  stopReconnectLoops(inst: SimInstance): void {
    inst.reconnectLoops = 0;
    inst.loopGeneration += 1;
  }

  /**
   * The in-memory state that connectionState, restart and logout read: while a reconnect loop runs it flips
   * between `close` and `connecting` from one read to the next (contract §12), starting with `close`.
   */
  observedState(inst: SimInstance): ConnectionState {
    if (inst.reconnectLoops === 0 || inst.state !== 'close') return inst.state;
    inst.stateReads += 1;
    return inst.stateReads % 2 === 1 ? 'close' : 'connecting';
  }

  /** "The user scanned the QR": the session opens with an owner number. */
  open(inst: SimInstance, ownerNumber?: string): void {
    this.stopReconnectLoops(inst);
    const owner = ownerNumber ?? (inst.ownerJid ? jidUser(inst.ownerJid) : (inst.number ?? ids.ownerNumber()));
    inst.ownerJid = createJid(owner);
    inst.profileName = inst.profileName ?? inst.name;
    inst.qr = null;
    inst.hasSocket = true;
    inst.disconnectionReasonCode = null;
    inst.disconnectionAt = null;
    inst.disconnectionObject = null;
    this.changeState(inst, 'open');
    this.emit(inst, 'connection.update', this.openData(inst, 'open', 200));
  }

  /** contract §4.4: a non-reconnectable close (401 loggedOut by default) is preceded by `status.instance`. */
  close(inst: SimInstance, reasonCode = 401): void {
    this.stopReconnectLoops(inst);
    const at = new Date();
    inst.qr = null;
    inst.disconnectionReasonCode = reasonCode;
    inst.disconnectionAt = at;
    // contract §12: the same string goes to the webhook and to the row fetchInstances shows.
    inst.disconnectionObject = JSON.stringify({ error: boomLike(reasonCode), date: at.toISOString() });
    this.changeState(inst, 'close');
    this.emit(inst, 'status.instance', {
      instance: inst.name,
      status: 'closed',
      disconnectionAt: at.toISOString(),
      disconnectionReasonCode: reasonCode,
      disconnectionObject: inst.disconnectionObject,
    });
    this.emit(inst, 'connection.update', { instance: inst.name, state: 'close', statusReason: reasonCode });
  }

  /** contract §4.4: QR limit reached → `qrcode.updated` error, then `connection.update` refused/428. */
  refuse(inst: SimInstance): void {
    this.stopReconnectLoops(inst);
    inst.qr = null;
    this.changeState(inst, 'refused');
    this.emit(inst, 'qrcode.updated', { message: 'QR code limit reached, please login again', statusCode: 500 });
    this.emit(inst, 'connection.update', this.openData(inst, 'refused', 428));
  }

  setState(
    inst: SimInstance,
    state: ConnectionState,
    opts: { ownerNumber?: string; statusReason?: number } = {},
  ): void {
    switch (state) {
      case 'open':
        return this.open(inst, opts.ownerNumber);
      case 'connecting':
        this.startConnecting(inst);
        return;
      case 'close':
        return this.close(inst, opts.statusReason);
      case 'refused':
        return this.refuse(inst);
    }
  }

  /** Scan shortcut: whatever the state, pass through `connecting` (as a phone would) and open. */
  scan(inst: SimInstance, ownerNumber?: string): void {
    if (inst.state === 'open') return;
    if (inst.state !== 'connecting') this.startConnecting(inst);
    this.open(inst, ownerNumber);
  }

  logout(inst: SimInstance): void {
    this.emit(inst, 'logout.instance', null);
    this.close(inst, 401);
  }

  /**
   * contract §11: delete of a live (or retrying) instance emits instance.delete, remove.instance, then the logout
   * trail. contract §12: with deleteLingerMs the removal completes later: the name stays taken until then, and the
   * delete webhooks come after the caller got its 200.
   */
  remove(inst: SimInstance): void {
    const wasLive = inst.state === 'open' || inst.state === 'connecting' || inst.reconnectLoops > 0;
    this.stopReconnectLoops(inst);
    this.instances.delete(inst.name);
    inst.deleted = true;
    const linger = this.behaviour.deleteLingerMs;
    if (linger <= 0) return this.emitRemoval(inst, wasLive);
    this.lingering.set(inst.name, inst);
    this.scheduler.after(linger, 'background', () => {
      if (this.lingering.get(inst.name) === inst) this.lingering.delete(inst.name);
      this.emitRemoval(inst, wasLive);
    });
  }

  private emitRemoval(inst: SimInstance, wasLive: boolean): void {
    this.emit(inst, 'instance.delete', { instanceName: inst.name, instanceId: inst.id });
    this.emit(inst, 'remove.instance', null);
    if (wasLive) this.logout(inst);
  }

  /** Simulates an expired/rotated instance token: the old one now gets 401. */
  rotateToken(inst: SimInstance): string {
    inst.token = ids.token();
    inst.updatedAt = new Date();
    return inst.token;
  }

  /** Default rule: numbers ending in 0000 are not on WhatsApp, plus the configured set. */
  isOnWhatsapp(jid: string): boolean {
    const user = jidUser(jid);
    return !(this.notOnWhatsapp.has(user) || user.endsWith('0000'));
  }

  reset(): void {
    this.instances.clear();
    this.lingering.clear();
    this.notOnWhatsapp.clear();
    this.ackSequence = [...DEFAULT_ACK_SEQUENCE];
    this.behaviour = { ...this.options.behaviour };
  }

  private changeState(inst: SimInstance, state: ConnectionState): void {
    inst.state = state;
    inst.updatedAt = new Date();
  }

  private openData(inst: SimInstance, state: ConnectionState, statusReason: number): Record<string, unknown> {
    return {
      instance: inst.name,
      wuid: inst.ownerJid,
      profileName: inst.profileName,
      profilePictureUrl: null,
      state,
      statusReason,
    };
  }
}
