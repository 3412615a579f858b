import { Injectable } from '@nestjs/common';
import { ValidationError } from '@/common/errors/app-error';
import { normalizeRecipient } from '@/common/phone/phone';
import { AppConfig } from '@/config/app-config';
import { Instance, InstanceStatus } from '@/generated/prisma/client';
import { EvolutionClient, instanceAuth } from '@/integrations/evolution/evolution.client';
import { ConnectionStateResponse, QrCode, UpstreamState } from '@/integrations/evolution/evolution.types';
import { ClientAuth } from '@/modules/auth/auth-context';
import { ConnectionAttempts } from './connection-attempts.service';
import { QrCodeResponseDto, StateResponseDto, StatusResponseDto, toRestrictionResponse } from './dto/instance.dto';
import { InstanceRepository } from './instance.repository';
import { visibleTo } from './instance-access';
import { Restriction } from './instance-restriction';
import { InstanceRestrictionRepository } from './instance-restriction.repository';

const UPSTREAM_STATES: readonly UpstreamState[] = ['open', 'connecting', 'close', 'refused'];

/** A QR answer, and the number its connection links by pairing code (null when it links by scanning). */
interface QrOutcome {
  answer: QrCodeResponseDto;
  linking: string | null;
}

/**
 * An instance's connection to WhatsApp: the QR to scan, the live state, and the states and QRs the upstream's events
 * report. Two views of the state exist upstream (events and polls, contract §12); both are kept, apart.
 */
@Injectable()
export class InstanceConnectionService {
  constructor(
    private readonly instances: InstanceRepository,
    private readonly evolution: EvolutionClient,
    private readonly attempts: ConnectionAttempts,
    private readonly config: AppConfig,
    private readonly restrictions: InstanceRestrictionRepository,
  ) {}

  /**
   * The QR to scan, or the state when there is none to scan. Only the first request connects: every connect on an
   * upstream that is retrying starts one more reconnect loop that never ends (contract §12), so while a connection
   * runs the answer is the latest QR the gateway has (from that connect, a create with `qrcode`, or a
   * `qrcode.updated` event; none while the upstream cannot reach WhatsApp).
   *
   * With `number`, the connection begun links that phone by pairing code (the upstream's connect `?number=`,
   * contract §2.1) and the answer carries the code as `pairing_code`. The upstream only takes the number when a
   * connection begins, so while one begun without it runs, `pairing_code` is null.
   */
  async qrCode(auth: ClientAuth, name: string, number?: string): Promise<QrCodeResponseDto> {
    const phone = number === undefined ? undefined : this.phoneToLink(number);
    const instance = await this.resolve(auth, name);
    const { answer, linking } = (await this.attempts.begin(instance.id))
      ? await this.connect(instance, phone)
      : await this.runningConnection(instance);
    if (phone === undefined) return answer;
    return { ...answer, pairing_code: linking === phone ? answer.pairingCode : null };
  }

  private async connect(instance: Instance, phone: string | undefined): Promise<QrOutcome> {
    let answer: QrCode | ConnectionStateResponse;
    try {
      await this.attempts.linkingNumber(instance.id, phone ?? null);
      answer = await this.evolution.connect(instance.name, instanceAuth(instance.id), phone);
    } catch (err) {
      await this.attempts.end(instance.id);
      throw err;
    }
    if (isStateAnswer(answer)) {
      await this.attempts.end(instance.id);
      await this.storeState(instance, answer.instance.state);
      return { answer: qrAnswer(instance.name, answer.instance.state, {}), linking: null };
    }
    // A refused instance falls through the upstream's connect to `{instance: {status}, qrcode}` (contract §2.1).
    const fallThrough = answer as { instance?: { status?: string }; qrcode?: QrCode };
    if (typeof fallThrough.instance?.status === 'string') {
      await this.attempts.end(instance.id);
      await this.storeState(instance, fallThrough.instance.status);
      return { answer: qrAnswer(instance.name, fallThrough.instance.status, fallThrough.qrcode ?? {}), linking: null };
    }
    // Asking for a QR starts a connection upstream: the instance is connecting until the QR is scanned.
    if (hasQr(answer)) await this.attempts.storeQr(instance.id, answer);
    await this.storeState(instance, 'connecting');
    return { answer: qrAnswer(instance.name, 'connecting', answer), linking: phone ?? null };
  }

  /**
   * A QR request while a connection runs. connectionState is read only, which never starts a connection: open and
   * refused end the attempt; close and connecting are what a retrying upstream alternates between (contract §12).
   */
  private async runningConnection(instance: Instance): Promise<QrOutcome> {
    const { state } = (await this.evolution.connectionState(instance.name, instanceAuth(instance.id))).instance;
    if (state === 'open' || state === 'refused') {
      await this.attempts.end(instance.id);
      await this.storeState(instance, state);
      return { answer: qrAnswer(instance.name, state, {}), linking: null };
    }
    const [latest, linking] = await Promise.all([
      this.attempts.latestQr(instance.id),
      this.attempts.pairingNumber(instance.id),
    ]);
    return { answer: qrAnswer(instance.name, 'connecting', latest ?? {}), linking };
  }

  /** A number to link by pairing code, as sends normalise it: the upstream takes digits with the country code. */
  private phoneToLink(number: string): string {
    const result = normalizeRecipient(number, this.config.get('DEFAULT_COUNTRY'));
    if (!result.ok) throw new ValidationError(`number: ${result.reason}`, 'INVALID_NUMBER');
    if (result.recipient.kind !== 'phone') {
      throw new ValidationError('number: must be a phone number, not a WhatsApp JID', 'INVALID_NUMBER');
    }
    return result.recipient.value;
  }

  /**
   * Restarts the instance's WhatsApp session upstream and answers the state it is in afterwards. The upstream
   * reconnects (and may show a new QR), so the connection counts as running: QR requests then answer its QR instead
   * of connecting once more. A closed instance cannot be restarted: the upstream fails it (contract §2.1).
   */
  async restart(auth: ClientAuth, name: string): Promise<StateResponseDto> {
    const instance = await this.resolve(auth, name);
    const answer = await this.evolution.restart(instance.name, instanceAuth(instance.id));
    if (!isStateAnswer(answer)) {
      await this.attempts.stillRunning(instance.id);
      await this.attempts.linkingNumber(instance.id, null);
      if (hasQr(answer)) await this.attempts.storeQr(instance.id, answer);
    }
    return this.liveState(instance);
  }

  /**
   * Logs the WhatsApp account out (the session is removed upstream) and answers the state afterwards. The next QR
   * request begins a new connection. The upstream refuses to log out an instance that is not connected.
   */
  async logout(auth: ClientAuth, name: string): Promise<StateResponseDto> {
    const instance = await this.resolve(auth, name);
    await this.evolution.logout(instance.name, instanceAuth(instance.id));
    await this.attempts.end(instance.id);
    return this.liveState(instance);
  }

  /** The live state, and the restriction the upstream reported, if any. */
  async status(auth: ClientAuth, name: string): Promise<StatusResponseDto> {
    const instance = await this.resolve(auth, name);
    return { ...(await this.liveState(instance)), restriction: toRestrictionResponse(instance) };
  }

  /** The caller's live instance by name, or 404 before any upstream call. */
  private async resolve(auth: ClientAuth, name: string): Promise<Instance> {
    return visibleTo(auth, await this.instances.findByNameForClient(auth.clientId, name), name);
  }

  /**
   * Records a state the upstream's events reported (connection.update, made at `at` by the upstream's clock when the
   * event says): `changed`, or `unchanged` for a repeat, judged against the events' last state, not the stored status,
   * which status polls also write; `stale` for an event older than the connection's last end, which changes nothing.
   */
  async recordUpstreamState(
    instance: Instance,
    state: string,
    ownerJid: string | undefined,
    at: number | undefined,
  ): Promise<'changed' | 'unchanged' | 'stale'> {
    if (!UPSTREAM_STATES.includes(state as UpstreamState)) return 'unchanged';
    const kind = state === 'connecting' ? 'run' : 'end';
    if (at !== undefined) {
      if (!(await this.attempts.applyEvent(instance.id, kind, at))) return 'stale';
    } else if (kind === 'run') await this.attempts.stillRunning(instance.id);
    else await this.attempts.end(instance.id);
    const changed = await this.instances.recordEventStateForClient(
      instance.clientId,
      instance.id,
      state as InstanceStatus,
      ownerJid,
    );
    return changed ? 'changed' : 'unchanged';
  }

  /** Marks the instance restricted (since `since`, unless it already had this restriction): its sends are refused. */
  async restrict(instance: Instance, restriction: Restriction, since: Date): Promise<void> {
    await this.restrictions.restrictForClient(instance.clientId, instance.id, restriction, since);
  }

  /** The instance is open again: it may send. */
  async clearRestriction(instance: Instance): Promise<void> {
    await this.restrictions.clearForClient(instance.clientId, instance.id);
  }

  /**
   * Keeps the QR of a `qrcode.updated` event (contract §4.4) for the QR requests that come while it is valid. A QR made
   * before the connection's last end (`at`, the upstream's time) arrived late and is not kept: the connection it
   * belonged to is over, and counting it as running would answer that dead QR instead of connecting again.
   */
  async recordQrCode(instance: Instance, data: Record<string, unknown>, at: number | undefined): Promise<void> {
    const qr = data.qrcode;
    if (typeof qr !== 'object' || qr === null || !hasQr(qr)) return;
    if (at === undefined) await this.attempts.stillRunning(instance.id);
    else if (!(await this.attempts.applyEvent(instance.id, 'run', at))) return;
    await this.attempts.storeQr(instance.id, qr);
  }

  /**
   * The upstream's own record of the instance's connection (fetchInstances, contract §2.1): its state and, after a
   * close, WhatsApp's reason and when; undefined when the upstream does not know the instance.
   */
  async upstreamDisconnection(
    instance: Instance,
  ): Promise<{ state: string; reasonCode: unknown; at: string | undefined } | undefined> {
    if (instance.upstreamId === null) return undefined;
    const row = await this.evolution.fetchInstance(instance.upstreamId, instance.name);
    if (!row) return undefined;
    const at = typeof row.disconnectionAt === 'string' ? row.disconnectionAt : undefined;
    return { state: row.connectionStatus, reasonCode: row.disconnectionReasonCode, at };
  }

  /** Reads the state from the upstream and stores it as the instance's status. */
  async liveState(instance: Instance): Promise<StateResponseDto> {
    const answer = await this.evolution.connectionState(instance.name, instanceAuth(instance.id));
    const state = answer.instance.state;
    await this.storeState(instance, state);
    return { instance: instance.name, state };
  }

  private async storeState(instance: Instance, state: string): Promise<void> {
    if (!UPSTREAM_STATES.includes(state as UpstreamState)) return;
    await this.instances.updateStatusForClient(instance.clientId, instance.id, state as InstanceStatus);
  }
}

function isStateAnswer(answer: QrCode | ConnectionStateResponse): answer is ConnectionStateResponse {
  return typeof (answer as ConnectionStateResponse).instance?.state === 'string';
}

/** Whether the answer carries a QR to scan (a code or its image). */
export function hasQr(qr: QrCode): boolean {
  return typeof qr.code === 'string' || typeof qr.base64 === 'string';
}

type QrFields = { [K in keyof QrCode]?: QrCode[K] | null };

function qrAnswer(instance: string, state: string, qr: QrFields): QrCodeResponseDto {
  return {
    instance,
    state,
    base64: qr.base64 ?? null,
    code: qr.code ?? null,
    pairingCode: qr.pairingCode ?? null,
    count: qr.count ?? 0,
  };
}
