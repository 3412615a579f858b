import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsISO8601, IsOptional, Matches, Max, Min } from 'class-validator';
import { UnprocessableError, ValidationError } from '@/common/errors/app-error';

const DAY_SECONDS = 24 * 3600;
/** How far ahead a send may be scheduled, and the longest time to live. */
export const MAX_SCHEDULE_DAYS = 30;
const MAX_AHEAD_MS = MAX_SCHEDULE_DAYS * DAY_SECONDS * 1000;

/** A moment with its offset (Z or ±hh:mm), so no server time zone ever decides when a message leaves. */
const WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i;

function Moment(description: string, example: string): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({ type: String, format: 'date-time', description, example }),
    IsOptional(),
    Matches(WITH_OFFSET, { message: 'must be an ISO 8601 date-time with its offset, e.g. 2026-12-24T09:00:00+03:00' }),
    IsISO8601({ strict: true }, { message: 'must be a valid ISO 8601 date-time' }),
  );
}

/** send_at, expires_at and ttl_seconds, on send, send-media and send-bulk. */
export class SendTimingDto {
  @Moment(
    `Send later: the message (or bulk) is accepted with 202 and status \`scheduled\`, and goes out at this time through the normal path (pacing, daily cap, opt-outs). In the future, at most ${MAX_SCHEDULE_DAYS} days ahead.`,
    '2026-12-24T09:00:00+03:00',
  )
  send_at?: string;

  @Moment(
    'Never send after this time: a message (or bulk recipient) that has not left by then gets status `expired` and is not sent. After send_at when both are given. Not with ttl_seconds.',
    '2026-12-24T09:05:00+03:00',
  )
  expires_at?: string;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: MAX_SCHEDULE_DAYS * DAY_SECONDS,
    description:
      'Never send more than this many seconds after the request (after send_at for a scheduled send), as expires_at does. Not with expires_at.',
    example: 300,
  })
  @IsOptional()
  @Max(MAX_SCHEDULE_DAYS * DAY_SECONDS, { message: `must be at most ${MAX_SCHEDULE_DAYS * DAY_SECONDS} (30 days)` })
  @Min(1)
  @IsInt()
  ttl_seconds?: number;
}

export interface SendTiming {
  /** Null: send now. */
  sendAt: Date | null;
  /** Null: no expiry. */
  expiresAt: Date | null;
}

/** Reads a request's timing fields, refusing with 400 (naming the field) a time in the past or too far ahead. */
export function readSendTiming(input: SendTimingDto, now: Date): SendTiming {
  const sendAt = input.send_at === undefined ? null : new Date(input.send_at);
  if (sendAt) {
    if (sendAt.getTime() <= now.getTime())
      throw new ValidationError('send_at: must be in the future', 'INVALID_SEND_AT');
    if (sendAt.getTime() > now.getTime() + MAX_AHEAD_MS)
      throw new ValidationError(`send_at: must be at most ${MAX_SCHEDULE_DAYS} days ahead`, 'INVALID_SEND_AT');
  }
  if (input.expires_at !== undefined && input.ttl_seconds !== undefined)
    throw new ValidationError('expires_at: give expires_at or ttl_seconds, not both', 'INVALID_EXPIRY');
  const start = sendAt ?? now;
  if (input.ttl_seconds !== undefined)
    return { sendAt, expiresAt: new Date(start.getTime() + input.ttl_seconds * 1000) };
  if (input.expires_at === undefined) return { sendAt, expiresAt: null };
  const expiresAt = new Date(input.expires_at);
  if (expiresAt.getTime() <= start.getTime())
    throw new ValidationError(`expires_at: must be after ${sendAt ? 'send_at' : 'now'}`, 'INVALID_EXPIRY');
  if (expiresAt.getTime() > start.getTime() + MAX_AHEAD_MS)
    throw new ValidationError(
      `expires_at: must be at most ${MAX_SCHEDULE_DAYS} days after ${sendAt ? 'send_at' : 'now'}`,
      'INVALID_EXPIRY',
    );
  return { sendAt, expiresAt };
}

/**
 * 422: the message's expiry came before it could leave (its pacing slot is later, or it came due too late); it was
 * logged `expired` and never sent.
 */
export class MessageExpiredError extends UnprocessableError {
  constructor(expiresAt: Date, slotAt: Date | null) {
    super(
      slotAt
        ? `Message expired: it expires at ${expiresAt.toISOString()}, before the instance's next pacing slot at ${slotAt.toISOString()}; it was not sent`
        : `Message expired at ${expiresAt.toISOString()} before it could be sent; it was not sent`,
      'MESSAGE_EXPIRED',
    );
  }
}
