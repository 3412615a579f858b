import { Injectable } from '@nestjs/common';
import { ForbiddenError, NotFoundError, ValidationError } from '@/common/errors/app-error';
import { normalizeRecipient, Recipient } from '@/common/phone/phone';
import { keysetCursor } from '@/common/validation/keyset-cursor';
import { AppConfig } from '@/config/app-config';
import { OptOut } from '@/generated/prisma/client';
import { ClientAuth } from '@/modules/auth/auth-context';
import { ImportOptOutsDto, OptOutResponseDto, OptOutsPageDto, OptOutsQueryDto } from './dto/opt-outs.dto';
import { inboundText, matchKeyword, phoneOfJid } from './keywords';
import { OptOutRepository } from './opt-out.repository';
import { OptOutLookup } from './opt-out-lookup.service';

/** The 403 of a send to a number on the client's list (code OPTED_OUT); a bulk skips such a recipient instead. */
export class OptedOutError extends ForbiddenError {
  constructor(readonly number: string) {
    super(
      `${number} has opted out of messages from this account; it gets none until it sends START (or the number is deleted from /api/v1/whatsapp/opt-outs)`,
      'OPTED_OUT',
    );
  }
}

/** What the list says of a number after an inbound keyword, for the tenant's `optout.update` event. */
export interface OptOutState {
  number: string;
  optedOut: boolean;
  keyword: string;
}

/** The client's keyword lists, as the upstream webhook receiver reads them with the instance. */
export interface ClientKeywords {
  optOut: readonly string[];
  optIn: readonly string[];
}

/**
 * The client's suppression list: sends of every surface ask `assertReachable` first; inbound keywords (STOP, START)
 * and the opt-outs API change it. Numbers are normalised as sends normalise them, so `0712345678`, `+254712345678` and
 * `254712345678@s.whatsapp.net` are one entry.
 */
@Injectable()
export class OptOutsService {
  constructor(
    private readonly optOuts: OptOutRepository,
    private readonly lookup: OptOutLookup,
    private readonly config: AppConfig,
  ) {}

  /** Throws OptedOutError when the recipient is a person on the client's list; groups are never on it. */
  async assertReachable(clientId: number, recipient: Recipient): Promise<void> {
    const number = recipient.kind === 'phone' ? recipient.value : phoneOfJid(recipient.value);
    if (number !== null && (await this.lookup.isOptedOut(clientId, number))) throw new OptedOutError(number);
  }

  /**
   * Applies an inbound `messages.upsert` whose text is one of the client's keywords: STOP puts the sender on the list,
   * START takes it off. Returns what the list says now (also when it said so already: a second STOP, an upstream
   * repeat), or null when the message is no keyword.
   */
  async applyInbound(
    clientId: number,
    keywords: ClientKeywords,
    data: Record<string, unknown>,
  ): Promise<OptOutState | null> {
    const inbound = inboundText(data);
    const match = inbound && matchKeyword(inbound.text, keywords);
    if (!inbound || !match) return null;
    const changed = match.optedOut
      ? (await this.optOuts.addManyForClient(clientId, [inbound.number], 'keyword', match.keyword)).length > 0
      : await this.optOuts.removeForClient(clientId, inbound.number);
    if (changed) await this.lookup.changed(clientId);
    return { number: inbound.number, optedOut: match.optedOut, keyword: match.keyword };
  }

  async list(auth: ClientAuth, q: OptOutsQueryDto): Promise<OptOutsPageDto> {
    assertClientWide(auth);
    const filter = { number: q.number === undefined ? undefined : this.normalise('number', q.number) };
    const beforeId = q.cursor === undefined ? undefined : cursor.decode(q.cursor);
    const [rows, total] = await Promise.all([
      this.optOuts.listForClient(auth.clientId, filter, { limit: q.limit, beforeId }),
      this.optOuts.countForClient(auth.clientId, filter),
    ]);
    const last = rows.at(-1);
    return {
      opt_outs: rows.map(toOptOutResponse),
      total,
      next_cursor: rows.length === q.limit && last ? cursor.encode(last.id) : null,
    };
  }

  /** Adds every number (all-or-nothing: one invalid number is a 400 naming it and adds none). Idempotent. */
  async import(auth: ClientAuth, dto: ImportOptOutsDto): Promise<{ received: number; added: number }> {
    assertClientWide(auth);
    const numbers = [...new Set(dto.numbers.map((n, i) => this.normalise(`numbers[${i}]`, n)))];
    const added = await this.optOuts.addManyForClient(auth.clientId, numbers, dto.source ?? 'api');
    if (added.length > 0) await this.lookup.changed(auth.clientId);
    return { received: dto.numbers.length, added: added.length };
  }

  async remove(auth: ClientAuth, rawNumber: string): Promise<void> {
    assertClientWide(auth);
    const number = this.normalise('number', rawNumber);
    if (!(await this.optOuts.removeForClient(auth.clientId, number))) {
      throw new NotFoundError(`${number} is not on the opt-out list`, 'OPT_OUT_NOT_FOUND');
    }
    await this.lookup.changed(auth.clientId);
  }

  /** A phone number as sends normalise it; a person's JID stands for its number; groups and LIDs cannot opt out. */
  private normalise(field: string, input: string): string {
    const result = normalizeRecipient(input, this.config.get('DEFAULT_COUNTRY'));
    if (!result.ok) throw new ValidationError(`${field}: ${result.reason}`, 'INVALID_NUMBER');
    const { value, kind } = result.recipient;
    const number = kind === 'phone' ? value : phoneOfJid(value);
    if (number === null) {
      throw new ValidationError(`${field}: "${value}" is not a person's phone number or phone JID`, 'INVALID_NUMBER');
    }
    return number;
  }
}

const cursor = keysetCursor('o');

/**
 * The list is the client's, shared by all its instances: an instance key (one shop of a reseller) may neither read
 * the numbers that opted out of the other shops nor change what they may send.
 */
function assertClientWide(auth: ClientAuth): void {
  if (auth.instanceId) {
    throw new ForbiddenError(
      'The opt-out list belongs to the whole client: use the client API key or a reseller token, not an instance key',
      'CLIENT_KEY_REQUIRED',
    );
  }
}

function toOptOutResponse(row: OptOut): OptOutResponseDto {
  return { number: row.number, source: row.source, keyword: row.keyword, created_at: row.createdAt.toISOString() };
}
