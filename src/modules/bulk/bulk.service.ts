import { Injectable } from '@nestjs/common';
import { ConflictError, NotFoundError, UnprocessableError, ValidationError } from '@/common/errors/app-error';
import { normalizeRecipient } from '@/common/phone/phone';
import { AppConfig } from '@/config/app-config';
import { BulkStatus } from '@/generated/prisma/client';
import { ClientAuth } from '@/modules/auth/auth-context';
import { Restriction } from '@/modules/instances/instance-restriction';
import { InstancesService } from '@/modules/instances/instances.service';
import { SendService } from '@/modules/messages/send.service';
import { readSendTiming } from '@/modules/messages/send-timing';
import { BulkRepository, NewRecipient } from './bulk.repository';
import { BulkProgressService } from './bulk-progress.service';
import { BulkQueueService } from './bulk-queue.service';
import {
  DISCONNECTED_REASON,
  INSTANCE_DELETED_REASON,
  RESTRICTED_REASON,
  restrictedPauseReason,
  UPSTREAM_DOWN_REASON,
} from './bulk-reasons';
import { BulkRecipientRepository } from './bulk-recipient.repository';
import { BulkTemplate, ContentScan } from './content-guard';
import { BulkListResponseDto, bulkProgress } from './dto/bulk-response.dto';
import { decodeBulkCursor, encodeBulkCursor, ListBulksQueryDto } from './dto/list-bulks.dto';
import { BulkAcceptedDto, BulkRecipientInput, SendBulkDto } from './dto/send-bulk.dto';

const AVERAGE_SEND_MS = 300;

/** Bulk campaigns: accepted at once, sent by the worker, visible and controllable recipient by recipient. */
@Injectable()
export class BulkService {
  constructor(
    private readonly bulks: BulkRepository,
    private readonly recipients: BulkRecipientRepository,
    private readonly instances: InstancesService,
    private readonly queue: BulkQueueService,
    private readonly sender: SendService,
    private readonly config: AppConfig,
    private readonly progress: BulkProgressService,
  ) {
    instances.whenDeleted((instance) => this.cancelForDeletedInstance(instance.clientId, instance.id));
  }

  async create(auth: ClientAuth, dto: SendBulkDto): Promise<BulkAcceptedDto> {
    const timing = readSendTiming(dto, new Date());
    const instance = await this.instances.resolve(auth, dto.instanceName);
    const template = new BulkTemplate(dto.message);
    const scan = new ContentScan(template);
    const accepted: NewRecipient[] = [];
    const rejected: { number: string; reason: string }[] = [];
    const seen = new Set<string>();
    dto.recipients.forEach((input, index) => {
      const parsed = this.readRecipient(input, template, seen);
      if (!parsed.ok) return rejected.push({ number: describe(input, index), reason: parsed.reason });
      seen.add(parsed.recipient.number);
      accepted.push({ ...parsed.recipient, position: accepted.length + 1 });
      scan.add(parsed.recipient.variables);
    });

    const warnings = scan.warnings();
    if (warnings.length > 0 && auth.limits.strictContentGuard)
      throw new UnprocessableError(warnings.join(' '), 'CONTENT_GUARD');
    if (accepted.length === 0) {
      const reasons = rejected.slice(0, 5).map((r) => `${r.number}: ${r.reason}`);
      throw new ValidationError(
        `recipients: none is valid (${reasons.join('; ')}${rejected.length > 5 ? '; …' : ''})`,
        'NO_VALID_RECIPIENTS',
      );
    }
    const bulk = await this.bulks.createForClient(
      auth.clientId,
      {
        instanceId: instance.id,
        message: dto.message,
        delayMs: dto.delay ?? 0,
        warnings,
        checkNumbers: dto.check_numbers ?? false,
        // A scheduled bulk waits in Postgres; the worker's poller queues it when it is due.
        status: timing.sendAt ? 'scheduled' : 'queued',
        sendAt: timing.sendAt,
        expiresAt: timing.expiresAt,
      },
      accepted,
    );
    if (!timing.sendAt) await this.queue.drive(auth.clientId, bulk.id);
    return {
      bulk_id: bulk.id,
      total: dto.recipients.length,
      accepted: accepted.length,
      rejected,
      warnings,
      status: timing.sendAt ? 'scheduled' : 'queued',
      send_at: timing.sendAt?.toISOString() ?? null,
      expires_at: timing.expiresAt?.toISOString() ?? null,
    };
  }

  async get(auth: ClientAuth, id: string, after: number, limit: number) {
    const bulk = await this.find(auth, id);
    const [counts, recipients] = await Promise.all([
      this.recipients.countsForClient(auth.clientId, id),
      this.recipients.recipientsForClient(auth.clientId, id, after, limit),
    ]);
    const remaining = counts.pending + counts.sending;
    const gap =
      Math.max(bulk.delayMs, auth.limits.sendIntervalMs) +
      (auth.limits.jitterMinMs + auth.limits.jitterMaxMs) / 2 +
      AVERAGE_SEND_MS;
    const last = recipients.at(-1);
    return {
      bulk_id: bulk.id,
      instance: bulk.instance.name,
      status: bulk.status,
      pause_reason: bulk.pauseReason,
      total: bulk.total,
      counts,
      progress: bulkProgress(bulk.total, counts),
      expected_finish_at:
        bulk.status === 'running' || bulk.status === 'queued' || bulk.status === 'scheduled'
          ? new Date(Math.max(Date.now(), bulk.sendAt?.getTime() ?? 0) + remaining * gap).toISOString()
          : null,
      // Written only by create, from the content scan: a list of strings.
      warnings: bulk.warnings as string[],
      created_at: bulk.createdAt.toISOString(),
      send_at: bulk.sendAt?.toISOString() ?? null,
      expires_at: bulk.expiresAt?.toISOString() ?? null,
      started_at: bulk.startedAt?.toISOString() ?? null,
      finished_at: bulk.finishedAt?.toISOString() ?? null,
      recipients: recipients.map((r) => ({
        position: r.position,
        number: r.number,
        // A sent recipient reports its message's delivery progress (sent → delivered → read) from the log; the log
        // row's own `sent` can trail the recipient's by a batch, and a sent recipient never reads as queued.
        status: r.status === 'sent' && r.message && r.message.status !== 'queued' ? r.message.status : r.status,
        message_id: r.message?.upstreamMessageId ?? null,
        attempts: r.attempts,
        error: r.error,
        sent_at: r.sentAt?.toISOString() ?? null,
      })),
      next_after: recipients.length === limit && last ? last.position : null,
    };
  }

  /** The caller's bulks, newest first; an instance key sees its instance's only. */
  async list(auth: ClientAuth, q: ListBulksQueryDto): Promise<BulkListResponseDto> {
    const named =
      q.instance === undefined ? undefined : await this.instances.idsByNameIncludingDeleted(auth.clientId, q.instance);
    const own = auth.instanceId;
    const instanceIds = own ? (named ?? [own]).filter((id) => id === own) : named;
    const before = q.cursor === undefined ? undefined : decodeBulkCursor(q.cursor);
    const rows = await this.bulks.listForClient(auth.clientId, { instanceIds, status: q.status, before }, q.limit);
    const counts = await this.recipients.countsOfBulksForClient(
      auth.clientId,
      rows.map((row) => row.id),
    );
    const last = rows.at(-1);
    return {
      bulks: rows.map((bulk) => {
        const recipients = counts.get(bulk.id)!;
        return {
          bulk_id: bulk.id,
          instance: bulk.instance.name,
          status: bulk.status,
          pause_reason: bulk.pauseReason,
          total: bulk.total,
          counts: recipients,
          progress: bulkProgress(bulk.total, recipients),
          created_at: bulk.createdAt.toISOString(),
        };
      }),
      next_cursor: rows.length === q.limit && last ? encodeBulkCursor(last) : null,
    };
  }

  async pause(auth: ClientAuth, id: string) {
    await this.transition(auth, id, ['queued', 'running'], 'paused', 'paused by request');
    await this.progress.announce(auth.clientId, id);
    return this.summary(auth, id);
  }

  async resume(auth: ClientAuth, id: string) {
    await this.transition(auth, id, ['paused'], 'running');
    await this.progress.announce(auth.clientId, id);
    await this.queue.drive(auth.clientId, id);
    return this.summary(auth, id);
  }

  async cancel(auth: ClientAuth, id: string) {
    const bulk = await this.transition(auth, id, ['scheduled', 'queued', 'running', 'paused'], 'cancelled');
    await this.cancelRecipients(auth.clientId, bulk, null);
    await this.progress.announce(auth.clientId, id);
    return this.summary(auth, id);
  }

  /**
   * An instance is gone: its unfinished bulks are cancelled, each unsent recipient with the reason, since its name
   * may soon belong to another upstream instance. Runs on delete, and from the worker for a delete it missed.
   */
  async cancelForDeletedInstance(clientId: number, instanceId: string): Promise<void> {
    for (const bulk of await this.bulks.listUnfinishedOfInstanceForClient(clientId, instanceId)) {
      if (
        !(await this.bulks.transitionForClient(
          clientId,
          bulk.id,
          ['scheduled', 'queued', 'running', 'paused'],
          'cancelled',
          INSTANCE_DELETED_REASON,
        ))
      )
        continue;
      await this.cancelRecipients(clientId, { id: bulk.id, instanceId }, INSTANCE_DELETED_REASON);
      await this.progress.announce(clientId, bulk.id);
    }
  }

  /** Cancels the unsent recipients and closes the log rows of attempts interrupted before they left. */
  private async cancelRecipients(
    clientId: number,
    bulk: { id: string; instanceId: string },
    reason: string | null,
  ): Promise<void> {
    const interrupted = await this.recipients.cancelPendingForClient(clientId, bulk.id, reason);
    for (const messageId of interrupted)
      await this.sender.abandon({ id: bulk.instanceId, clientId }, messageId, reason ?? 'bulk cancelled');
  }

  /**
   * WhatsApp restricted the instance's number: its unfinished bulks pause saying why (one paused as disconnected a
   * moment before, when its send met the closed connection, is told the real reason), and carry on once it is open.
   */
  async pauseForRestriction(clientId: number, instanceId: string, restriction: Restriction): Promise<void> {
    const paused = await this.bulks.pauseOfInstanceForClient(
      clientId,
      instanceId,
      restrictedPauseReason(restriction),
      DISCONNECTED_REASON,
    );
    for (const bulkId of paused) await this.progress.announce(clientId, bulkId);
  }

  /** The instance is connected again: bulks it paused by disconnecting or by a restriction carry on. */
  async resumeAfterReconnect(instanceId: string): Promise<void> {
    const paused = await this.bulks.listPausedOfInstanceForSystem(instanceId, [DISCONNECTED_REASON, RESTRICTED_REASON]);
    for (const bulk of paused) {
      if (await this.bulks.transitionForClient(bulk.clientId, bulk.id, ['paused'], 'running')) {
        await this.progress.announce(bulk.clientId, bulk.id);
        await this.queue.drive(bulk.clientId, bulk.id);
      }
    }
  }

  /** The instance's server answers again: bulks its outage paused carry on. */
  async resumeAfterUpstreamRecovery(upstreamId: number): Promise<void> {
    const paused = await this.bulks.listPausedOnUpstreamForSystem(upstreamId, UPSTREAM_DOWN_REASON);
    for (const bulk of paused) {
      if (await this.bulks.transitionForClient(bulk.clientId, bulk.id, ['paused'], 'running')) {
        await this.progress.announce(bulk.clientId, bulk.id);
        await this.queue.drive(bulk.clientId, bulk.id);
      }
    }
  }

  private async summary(auth: ClientAuth, id: string) {
    const bulk = await this.find(auth, id);
    return { bulk_id: bulk.id, status: bulk.status, pause_reason: bulk.pauseReason };
  }

  private async transition(
    auth: ClientAuth,
    id: string,
    from: BulkStatus[],
    to: BulkStatus,
    reason: string | null = null,
  ) {
    const bulk = await this.find(auth, id);
    if (!(await this.bulks.transitionForClient(auth.clientId, id, from, to, reason))) {
      throw new ConflictError(
        `Bulk ${id} is ${bulk.status} and cannot be ${to === 'running' ? 'resumed' : to}`,
        'BULK_STATE',
      );
    }
    return bulk;
  }

  private async find(auth: ClientAuth, id: string) {
    const bulk = await this.bulks.findForClient(auth.clientId, id);
    if (!bulk || (auth.instanceId && bulk.instanceId !== auth.instanceId))
      throw new NotFoundError(`Bulk ${id} does not exist`, 'BULK_NOT_FOUND');
    return bulk;
  }

  private readRecipient(
    input: BulkRecipientInput,
    template: BulkTemplate,
    seen: Set<string>,
  ): { ok: true; recipient: Omit<NewRecipient, 'position'> } | { ok: false; reason: string } {
    const isObject = typeof input === 'object' && input !== null && !Array.isArray(input);
    const number = typeof input === 'string' ? input : isObject ? input.number : undefined;
    if (typeof number !== 'string')
      return { ok: false, reason: 'must be a phone number or an object {number, variables}' };
    const variables = isObject ? input.variables : undefined;
    if (variables !== undefined && !validVariables(variables)) {
      return { ok: false, reason: 'variables: must be an object of strings or numbers' };
    }
    const normalized = normalizeRecipient(number, this.config.get('DEFAULT_COUNTRY'));
    if (!normalized.ok) return { ok: false, reason: normalized.reason };
    if (seen.has(normalized.recipient.value)) return { ok: false, reason: 'duplicate recipient in this bulk' };
    const checked = template.check(variables);
    if (!checked.ok) return checked;
    return { ok: true, recipient: { number: normalized.recipient.value, variables } };
  }
}

function validVariables(value: unknown): value is Record<string, string | number> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((v) => typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)))
  );
}

function describe(input: unknown, index: number): string {
  if (typeof input === 'string') return input;
  if (typeof input === 'object' && input !== null && typeof (input as { number?: unknown }).number === 'string')
    return (input as { number: string }).number;
  return `recipients.${index}`;
}
