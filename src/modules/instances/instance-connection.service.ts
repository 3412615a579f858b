import { Injectable } from '@nestjs/common';
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
    private readonly restrictions: InstanceRestrictionRepository,
  ) {}

  /**
   * The QR to scan, or the state when there is none to scan. Only the first request connects: every connect on an
   * upstream that is retrying starts one more reconnect loop that never ends (contract §12), so while a connection
   * runs the answer is the latest QR the gateway has (from that connect, a create with `qrcode`, or a
   * `qrcode.updated` event; none while the upstream cannot reach WhatsApp).
   */
  async qrCode(auth: ClientAuth, name: string): Promise<QrCodeResponseDto> {
    const instance = await this.resolve(auth, name);
    if (!(await this.attempts.begin(instance.id))) return this.runningConnection(instance);
    let answer: QrCode | ConnectionStateResponse;
    try {
      answer = await this.evolution.connect(instance.name, instanceAuth(instance.id));
    } catch (err) {
      await this.attempts.end(instance.id);
      throw err;
    }
    if (isStateAnswer(answer)) {
      await this.attempts.end(instance.id);
      await this.storeState(instance, answer.instance.state);
      return qrAnswer(instance.name, answer.instance.state, {});
    }
    // A refused instance falls through the upstream's connect to `{instance: {status}, qrcode}` (contract §2.1).
    const fallThrough = answer as { instance?: { status?: string }; qrcode?: QrCode };
    if (typeof fallThrough.instance?.status === 'string') {
      await this.attempts.end(instance.id);
      await this.storeState(instance, fallThrough.instance.status);
      return qrAnswer(instance.name, fallThrough.instance.status, fallThrough.qrcode ?? {});
    }
    // Asking for a QR starts a connection upstream: the instance is connecting until the QR is scanned.
    if (hasQr(answer)) await this.attempts.storeQr(instance.id, answer);
    await this.storeState(instance, 'connecting');
    return qrAnswer(instance.name, 'connecting', answer);
  }

  /**
   * A QR request while a connection runs. connectionState is read only, which never starts a connection: open and
   * refused end the attempt; close and connecting are what a retrying upstream alternates between (contract §12).
   */
  private async runningConnection(instance: Instance): Promise<QrCodeResponseDto> {
    const { state } = (await this.evolution.connectionState(instance.name, instanceAuth(instance.id))).instance;
    if (state === 'open' || state === 'refused') {
      await this.attempts.end(instance.id);
      await this.storeState(instance, state);
      return qrAnswer(instance.name, state, {});
    }
    return qrAnswer(instance.name, 'connecting', (await this.attempts.latestQr(instance.id)) ?? {});
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
   * Records a state the upstream's events reported (connection.update); true when it is a change, not a repeat. A
   * change is judged against the events' last state, not the stored status, which status polls also write.
   */
  async recordUpstreamState(instance: Instance, state: string, ownerJid?: string): Promise<boolean> {
    if (!UPSTREAM_STATES.includes(state as UpstreamState)) return false;
    if (state === 'connecting') await this.attempts.stillRunning(instance.id);
    else await this.attempts.end(instance.id);
    return this.instances.recordEventStateForClient(instance.clientId, instance.id, state as InstanceStatus, ownerJid);
  }

  /** Marks the instance restricted (since `since`, unless it already had this restriction): its sends are refused. */
  async restrict(instance: Instance, restriction: Restriction, since: Date): Promise<void> {
    await this.restrictions.restrictForClient(instance.clientId, instance.id, restriction, since);
  }

  /** The instance is open again: it may send. */
  async clearRestriction(instance: Instance): Promise<void> {
    await this.restrictions.clearForClient(instance.clientId, instance.id);
  }

  /** Keeps the QR of a `qrcode.updated` event (contract §4.4) for the QR requests that come while it is valid. */
  async recordQrCode(instance: Instance, data: Record<string, unknown>): Promise<void> {
    const qr = data.qrcode;
    if (typeof qr !== 'object' || qr === null || !hasQr(qr)) return;
    await this.attempts.storeQr(instance.id, qr);
    await this.attempts.stillRunning(instance.id);
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
