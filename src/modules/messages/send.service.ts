import { Injectable, Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppError, ConflictError, NotFoundError, RateLimitedError, ValidationError } from '@/common/errors/app-error';
import { MediaFetcher } from '@/common/net/media-fetcher';
import { normalizeRecipient, Recipient } from '@/common/phone/phone';
import { AppConfig } from '@/config/app-config';
import { storeDespiteOutage } from '@/database/store-despite-outage';
import { Instance, Message, MessageSource } from '@/generated/prisma/client';
import { EvolutionClient, instanceAuth } from '@/integrations/evolution/evolution.client';
import { EvolutionError } from '@/integrations/evolution/evolution.errors';
import { SendResponse } from '@/integrations/evolution/evolution.types';
import { ClientAuth, ClientLimits } from '@/modules/auth/auth-context';
import { assertNotRestricted, restrictionOf } from '@/modules/instances/instance-restriction';
import { InstancesService } from '@/modules/instances/instances.service';
import { DailyCapCheck, DailyCapService } from '@/modules/limits/daily-cap.service';
import { InstancePacerService, pacingFor, PacingSettings } from '@/modules/limits/instance-pacer.service';
import { OptedOutError, OptOutsService } from '@/modules/opt-outs/opt-outs.service';
import { AcceptanceTracker } from './acceptance-tracker.service';
import { ClosedSendWatch } from './closed-send-watch.service';
import { MessageResponseDto, toMessageResponse } from './dto/message-response.dto';
import { SendMediaDto, SendTextDto } from './dto/send.dto';
import { readMedia } from './media';
import { MessageRepository } from './message.repository';
import { statusesAdvancingTo } from './message-status';
import { ScheduledSendRepository } from './scheduled-send.repository';
import { MessageExpiredError, readSendTiming, SendTiming } from './send-timing';

/** What a message sends, kept as is for a scheduled one until it is due: the upstream body without its number. */
export type SendPayload =
  | { kind: 'text'; text: string }
  | { kind: 'media'; body: Record<string, string | undefined> & { mediatype: string; media: string } };

export interface Delivery {
  instance: Instance;
  limits: ClientLimits;
  recipient: Recipient;
  messageType: string;
  source: MessageSource;
  bulkId?: string;
  /**
   * Set for a bulk recipient: its log row is linked to it, and an attempt interrupted before it left (the process
   * stopping, Redis failing) keeps that row `queued` for the re-drive instead of failing it.
   */
  bulkRecipientId?: bigint;
  /** The `queued` row of such an interrupted attempt: sent again under it, so a recipient has one row. */
  interruptedMessageId?: bigint;
  /**
   * A scheduled message come due: its `scheduled` row becomes this attempt's (`queued`) once the cap unit and the
   * pacing slot are taken, in the transaction that drops its due time.
   */
  scheduledMessageId?: bigint;
  /** Not sent after this moment: logged `expired` instead, also when its pacing slot would come later. */
  expiresAt?: Date;
  /** Told the log row's id as soon as it is written, so a caller can name it even when the send then fails. */
  onLogged?: (messageId: bigint) => void;
  /** How long the send may wait for the instance's pacing slot before answering 429. */
  maxWaitMs: number;
  /** How long the upstream holds the message before sending it (a pass-through `delay`): pacing counts from then. */
  upstreamDelayMs?: number;
  send: (to: string) => Promise<SendResponse>;
}

/**
 * Sends one message the way every surface must: through the instance's daily cap and pacing slot, logged before
 * the upstream call so a crash leaves a trace, and with the outcome recorded whatever it is.
 */
@Injectable()
export class SendService {
  private readonly logger = new Logger(SendService.name);

  constructor(
    private readonly instances: InstancesService,
    private readonly messages: MessageRepository,
    private readonly evolution: EvolutionClient,
    private readonly pacer: InstancePacerService,
    private readonly caps: DailyCapService,
    private readonly config: AppConfig,
    private readonly acceptances: AcceptanceTracker,
    private readonly mediaFetcher: MediaFetcher,
    private readonly optOuts: OptOutsService,
    private readonly scheduled: ScheduledSendRepository,
    private readonly closedSends: ClosedSendWatch,
  ) {}

  async sendText(auth: ClientAuth, dto: SendTextDto): Promise<MessageResponseDto> {
    const timing = readSendTiming(dto, new Date());
    const instance = await this.instances.resolve(auth, dto.instanceName);
    const recipient = this.recipient(dto.number);
    return this.sendOrSchedule(auth.limits, instance, recipient, 'text', { kind: 'text', text: dto.text }, timing);
  }

  async sendMedia(auth: ClientAuth, dto: SendMediaDto): Promise<MessageResponseDto> {
    const timing = readSendTiming(dto, new Date());
    const instance = await this.instances.resolve(auth, dto.instanceName);
    const recipient = this.recipient(dto.number);
    const read = readMedia(dto.media, this.config.get('MAX_MEDIA_BYTES'));
    // Fetched now even for a later send: what was accepted is what goes out. Not for a send refused at once.
    const fetch = read.url && (timing.sendAt || !(await this.refusedBeforeLeaving(instance, recipient)));
    const fetched = fetch ? await this.mediaFetcher.fetch('media', read.media) : undefined;
    const body = {
      mediatype: dto.mediaType,
      media: fetched?.base64 ?? read.media,
      caption: dto.caption,
      fileName: dto.fileName ?? fetched?.fileName,
      mimetype: dto.mimetype ?? read.mimetype ?? fetched?.mimetype,
    };
    return this.sendOrSchedule(auth.limits, instance, recipient, dto.mediaType, { kind: 'media', body }, timing);
  }

  /**
   * Whether a send to `recipient` now is refused before it leaves (the instance restricted, the number opted out), so
   * its media URL is not fetched for nothing; `deliver` then refuses it as always, logging the refusal.
   */
  async refusedBeforeLeaving(instance: Instance, recipient: Recipient): Promise<boolean> {
    if (restrictionOf(instance)) return true;
    try {
      await this.optOuts.assertReachable(instance.clientId, recipient);
      return false;
    } catch (err) {
      if (err instanceof OptedOutError) return true;
      throw err;
    }
  }

  /** A v1 send: now, or logged `scheduled` with its payload for the poller when it has a send_at. */
  private async sendOrSchedule(
    limits: ClientLimits,
    instance: Instance,
    recipient: Recipient,
    messageType: string,
    payload: SendPayload,
    timing: SendTiming,
  ): Promise<MessageResponseDto> {
    if (timing.sendAt) {
      const schedule = { sendAt: timing.sendAt, expiresAt: timing.expiresAt, payload };
      const message = await this.messages.createForClient(instance.clientId, {
        instanceId: instance.id,
        source: 'api',
        number: recipient.value,
        messageType,
        status: 'scheduled',
        schedule,
      });
      return toMessageResponse(message, instance.name, schedule);
    }
    return this.deliver({
      instance,
      limits,
      recipient,
      messageType,
      source: 'api',
      maxWaitMs: this.config.get('SEND_MAX_WAIT_MS'),
      expiresAt: timing.expiresAt ?? undefined,
      send: this.upstreamSend(instance, payload),
    });
  }

  /** The upstream call that sends `payload` from the instance. */
  upstreamSend(instance: Instance, payload: SendPayload): (to: string) => Promise<SendResponse> {
    const auth = instanceAuth(instance.id);
    return payload.kind === 'text'
      ? (to) => this.evolution.sendText(instance.name, auth, { number: to, text: payload.text })
      : (to) => this.evolution.sendMedia(instance.name, auth, { ...payload.body, number: to });
  }

  async deliver(d: Delivery): Promise<MessageResponseDto> {
    const { instance } = d;
    assertNotRestricted(instance);
    if (d.expiresAt && d.expiresAt.getTime() <= Date.now()) throw await this.expire(d, null);
    // Before the cap and the pacing slot: a send that will not go out takes neither.
    try {
      await this.optOuts.assertReachable(instance.clientId, d.recipient);
    } catch (err) {
      throw err instanceof OptedOutError ? await this.refuseOptedOut(d, err) : err;
    }
    // An interrupted attempt took its unit of the cap when it was logged and never gave it back.
    const cap =
      d.interruptedMessageId === undefined
        ? this.caps.check(instance.id, d.limits.dailyCap, () =>
            this.messages.attemptsTodayForClient(instance.clientId, instance.id, new Date()),
          )
        : null;
    const pacing = pacingFor(d.limits, instance.integration);
    const delay = d.upstreamDelayMs ?? 0;
    const slot = await this.admit(d, cap, pacing, delay);
    const messageId = d.interruptedMessageId ?? (await this.logAttempt(d, cap !== null));
    d.onLogged?.(messageId);
    let departed = false;
    try {
      const wait = slot - Date.now();
      if (wait > 0) await sleep(wait);
      await this.pacer.depart(instance.id, pacing, delay);
      // A late wake-up (a busy process, or the previous send leaving late) can still pass the expiry.
      if (d.expiresAt && Date.now() >= d.expiresAt.getTime()) {
        const started = { ...d, interruptedMessageId: messageId, scheduledMessageId: undefined };
        throw withLogId(await this.expire(started, null), messageId);
      }
      departed = true;
      const answer = await d.send(d.recipient.value);
      // The upstream has the message now: its id is written even across a database outage, or a retry would resend it.
      const accepted = await this.acceptances.track(answer.key.id, () =>
        storeDespiteOutage(
          () => this.messages.markAcceptedForClient(instance.clientId, messageId, answer.key.id),
          () =>
            this.logger.warn(
              { messageId: messageId.toString() },
              'Database unreachable: holding a sent message’s WhatsApp id until it is back',
            ),
        ),
      );
      // The row is gone only if its instance was deleted (cascade) while the send was out.
      if (!accepted) throw new NotFoundError(`Message ${messageId} does not exist`, 'MESSAGE_NOT_FOUND');
      return toMessageResponse(accepted, instance.name);
    } catch (err) {
      if (err instanceof MessageExpiredError || (!departed && d.bulkRecipientId !== undefined)) throw err;
      const reason = err instanceof Error ? err.message : 'the send failed';
      await this.markFailed(instance.clientId, messageId, reason);
      // A timeout may still have reached WhatsApp; anything else did not, so it does not count against the cap.
      const unknown = err instanceof EvolutionError && err.outcomeUnknown;
      if (!unknown) await this.caps.giveBack(instance.id);
      // Best effort: the send's answer matters more than this hint about why the instance is down.
      if (err instanceof EvolutionError && err.kind === 'connection_closed')
        await this.closedSends.refused(instance).catch(() => undefined);
      throw withLogId(unknown ? mayHaveBeenSent(err, messageId) : err, messageId);
    }
  }

  /**
   * The cap unit and the pacing slot. With an expiry, the slot may be no later than it: one further away is refused
   * by the pacer (taking nothing) and the message expires unsent.
   */
  private async admit(d: Delivery, cap: DailyCapCheck | null, pacing: PacingSettings, delay: number): Promise<number> {
    const untilExpiry = d.expiresAt ? d.expiresAt.getTime() - Date.now() : Infinity;
    const maxWaitMs = Math.min(d.maxWaitMs, untilExpiry);
    try {
      return await this.pacer.admit(d.instance.id, pacing, maxWaitMs, cap, delay);
    } catch (err) {
      if (untilExpiry < d.maxWaitMs && err instanceof RateLimitedError && err.code === 'INSTANCE_PACING')
        throw await this.expire(d, new Date(Date.now() + err.retryAfterSeconds * 1000));
      throw err;
    }
  }

  /**
   * Logs a message whose expiry came before it could leave as `expired`: a v1 send gets a row of its own, a
   * scheduled or interrupted one's row moves to it, a bulk recipient gets none (the bulk marks it expired).
   */
  private async expire(d: Delivery, slotAt: Date | null): Promise<MessageExpiredError> {
    const err = new MessageExpiredError(d.expiresAt!, slotAt);
    const { clientId } = d.instance;
    if (d.scheduledMessageId !== undefined) {
      await this.scheduled.closeForClient(clientId, d.scheduledMessageId, 'expired', err.message);
      return withLogId(err, d.scheduledMessageId) as MessageExpiredError;
    }
    if (d.interruptedMessageId !== undefined) {
      const closed = await this.messages.advanceForClient(clientId, d.interruptedMessageId, {
        from: ['queued'],
        to: 'expired',
        error: err.message,
      });
      if (closed) await this.caps.giveBack(d.instance.id).catch(() => undefined);
      return err;
    }
    if (d.bulkRecipientId !== undefined) return err;
    const message = await this.messages.createForClient(clientId, {
      instanceId: d.instance.id,
      bulkId: d.bulkId,
      source: d.source,
      number: d.recipient.value,
      messageType: d.messageType,
      status: 'expired',
      error: err.message,
    });
    d.onLogged?.(message.id);
    return withLogId(err, message.id) as MessageExpiredError;
  }

  /**
   * Writes the attempt's log row (a scheduled message's row becomes it); when that fails (the database is down, or
   * the message was cancelled meanwhile), the cap unit just taken is given back.
   */
  private async logAttempt(d: Delivery, tookCapUnit: boolean): Promise<bigint> {
    try {
      if (d.scheduledMessageId !== undefined) {
        const started = await this.scheduled.startForClient(d.instance.clientId, d.scheduledMessageId);
        if (!started)
          throw new ConflictError(`Message ${d.scheduledMessageId} is no longer scheduled`, 'MESSAGE_NOT_SCHEDULED');
        return started.id;
      }
      const message = await this.messages.createForClient(d.instance.clientId, {
        instanceId: d.instance.id,
        bulkId: d.bulkId,
        bulkRecipientId: d.bulkRecipientId,
        source: d.source,
        number: d.recipient.value,
        messageType: d.messageType,
      });
      return message.id;
    } catch (err) {
      if (tookCapUnit) await this.caps.giveBack(d.instance.id).catch(() => undefined);
      throw err;
    }
  }

  /**
   * A send to a number on the client's opt-out list is logged `failed` with the refusal as its error and never sent.
   * A bulk recipient gets no row of its own (the bulk marks it skipped); a scheduled or interrupted attempt's row is closed.
   */
  private async refuseOptedOut(d: Delivery, err: OptedOutError): Promise<OptedOutError> {
    if (d.scheduledMessageId !== undefined) {
      await this.scheduled.closeForClient(d.instance.clientId, d.scheduledMessageId, 'failed', err.message);
      return withLogId(err, d.scheduledMessageId) as OptedOutError;
    }
    if (d.interruptedMessageId !== undefined) await this.abandon(d.instance, d.interruptedMessageId, err.message);
    if (d.bulkRecipientId !== undefined) return err;
    const message = await this.messages.createForClient(d.instance.clientId, {
      instanceId: d.instance.id,
      bulkId: d.bulkId,
      source: d.source,
      number: d.recipient.value,
      messageType: d.messageType,
      status: 'failed',
      error: err.message,
    });
    d.onLogged?.(message.id);
    return withLogId(err, message.id) as OptedOutError;
  }

  /** Closes the row of an interrupted attempt that will not be sent after all, and frees the cap unit it held. */
  async abandon(instance: Pick<Instance, 'id' | 'clientId'>, messageId: bigint, reason: string): Promise<void> {
    if (!(await this.markFailed(instance.clientId, messageId, reason))) return;
    // Best effort: without Redis the cap is re-seeded from the rollups, which count this row as failed now.
    await this.caps.giveBack(instance.id).catch(() => undefined);
  }

  /** The attempt's row says why it failed, unless its status already moved past where a failure can apply. */
  private markFailed(clientId: number, messageId: bigint, reason: string): Promise<Message | null> {
    return this.messages.advanceForClient(clientId, messageId, {
      from: statusesAdvancingTo('failed'),
      to: 'failed',
      error: reason,
    });
  }

  recipient(number: string): Recipient {
    const result = normalizeRecipient(number, this.config.get('DEFAULT_COUNTRY'));
    if (!result.ok) throw new ValidationError(`number: ${result.reason}`, 'INVALID_NUMBER');
    return result.recipient;
  }
}

/** A failed send's answer names its log row, whatever the failure (X-Message-Log-Id). */
function withLogId(err: unknown, messageId: bigint): unknown {
  if (err instanceof AppError) Object.assign(err.headers, { 'X-Message-Log-Id': messageId.toString() });
  return err;
}

/** A send whose outcome is unknown says so, with the row to check before sending it again. */
function mayHaveBeenSent(err: EvolutionError, messageId: bigint): EvolutionError {
  return new EvolutionError(
    err.kind,
    `${err.message}; the message may still have reached WhatsApp: check message log id ${messageId} before sending it again`,
    err.upstreamStatus,
    err.retryable,
  );
}
