import { Injectable } from '@nestjs/common';
import { keysetCursor } from '@/common/validation/keyset-cursor';
import { ClientAuth } from '@/modules/auth/auth-context';
import { InstancesService } from '@/modules/instances/instances.service';
import { LogsQueryDto, MessageFiltersDto } from './dto/logs-query.dto';
import { MessageResponseDto, toMessageResponse } from './dto/message-response.dto';
import { MessageFilters, MessageRepository } from './message.repository';
import { SendService } from './send.service';

const cursor = keysetCursor('m');

/** The tenant's message log, newest first. */
@Injectable()
export class MessageLogService {
  constructor(
    private readonly messages: MessageRepository,
    private readonly instances: InstancesService,
    private readonly send: SendService,
  ) {}

  async list(
    auth: ClientAuth,
    q: LogsQueryDto,
  ): Promise<{ messages: MessageResponseDto[]; total: number; next_cursor: string | null }> {
    const filters = await this.filters(auth, q);
    const beforeId = q.cursor === undefined ? undefined : cursor.decode(q.cursor);
    const countersSuffice =
      filters.number === undefined && filters.bulkId === undefined && !filters.from && !filters.to;
    const [rows, total] = await Promise.all([
      this.messages.listForClient(auth.clientId, filters, { limit: q.limit, offset: q.offset, beforeId }),
      countersSuffice
        ? this.messages.countFromCountersForClient(auth.clientId, filters.instanceIds, filters.status)
        : this.messages.countForClient(auth.clientId, filters),
    ]);
    const last = rows.at(-1);
    return {
      messages: rows.map((row) => toMessageResponse(row, row.instance.name)),
      total,
      next_cursor: rows.length === q.limit && last ? cursor.encode(last.id) : null,
    };
  }

  /** The query's filters as the repository takes them, narrowed to what the caller may see. */
  async filters(auth: ClientAuth, q: MessageFiltersDto): Promise<MessageFilters> {
    return {
      instanceIds: await this.instanceScope(auth, q.instance),
      status: q.status,
      number: q.number === undefined ? undefined : this.send.recipient(q.number).value,
      bulkId: q.bulk_id,
      from: q.from === undefined ? undefined : new Date(q.from),
      to: q.to === undefined ? undefined : new Date(q.to),
    };
  }

  /** Which instances the caller may see: an instance key sees its own; a name filter narrows further. */
  private async instanceScope(auth: ClientAuth, name: string | undefined): Promise<string[] | undefined> {
    const named = name === undefined ? undefined : await this.instances.idsByNameIncludingDeleted(auth.clientId, name);
    if (!auth.instanceId) return named;
    return named ? named.filter((id) => id === auth.instanceId) : [auth.instanceId];
  }
}
