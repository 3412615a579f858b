import { ApiProperty } from '@nestjs/swagger';
import { RecipientStatus } from '@/generated/prisma/client';

export const BULK_STATUSES = ['scheduled', 'queued', 'running', 'paused', 'completed', 'cancelled'] as const;

/**
 * A recipient's status: its own while it waits or failed, and once sent its message's delivery progress from the log
 * (sent → delivered → read; queued only for the moment between the send and the WhatsApp server's answer).
 */
export const RECIPIENT_STATUSES = [
  'pending',
  'sending',
  'queued',
  'sent',
  'delivered',
  'read',
  'failed',
  'cancelled',
  'skipped',
  'expired',
] as const;

const count = (description: string) => ApiProperty({ type: 'integer', description });

/** Recipients by status; every status is listed, zeros included. */
export class BulkCountsDto implements Record<RecipientStatus, number> {
  @count('Not sent yet') pending!: number;
  @count('Being sent right now') sending!: number;
  @count('Accepted by the WhatsApp server') sent!: number;
  @count('Delivered to the phone') delivered!: number;
  @count('Read') read!: number;
  @count('Failed for good') failed!: number;
  @count('Not sent: the bulk was cancelled or its instance deleted') cancelled!: number;
  @count(
    'Not sent on purpose: not on WhatsApp (error `not_on_whatsapp`, with check_numbers) or on the client’s opt-out ' +
      'list (error `opted_out`)',
  )
  skipped!: number;
  @count('Not sent: the bulk’s expiry (expires_at / ttl_seconds) came before their turn') expired!: number;
}

/** Share of the recipients that are settled (not pending or being sent), 0 to 1, four decimals; 1 for none. */
export function bulkProgress(total: number, counts: Record<RecipientStatus, number>): number {
  const done = total - counts.pending - counts.sending;
  return total === 0 ? 1 : Number((done / total).toFixed(4));
}

export class BulkRecipientDto {
  @ApiProperty({ type: 'integer', description: '1-based, in the order of the request' }) position!: number;
  @ApiProperty({ example: '254712345678', description: 'Normalised' }) number!: string;
  @ApiProperty({ enum: RECIPIENT_STATUSES, enumName: 'BulkRecipientStatus' }) status!: string;
  @ApiProperty({ nullable: true, type: String, description: 'WhatsApp message id once sent' })
  message_id!: string | null;
  @ApiProperty({ type: 'integer' }) attempts!: number;
  @ApiProperty({ nullable: true, type: String, example: 'not_on_whatsapp' }) error!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) sent_at!: string | null;
}

/** What the bulk list and the bulk's own page share. */
export class BulkOverviewDto {
  @ApiProperty({ format: 'uuid' }) bulk_id!: string;
  @ApiProperty({ example: 'my-sales' }) instance!: string;
  @ApiProperty({ enum: BULK_STATUSES, enumName: 'BulkStatus' }) status!: string;
  @ApiProperty({
    nullable: true,
    type: String,
    example: 'instance disconnected',
    description: 'Why the bulk paused or stopped, when it did for a reason other than a request',
  })
  pause_reason!: string | null;
  @ApiProperty({ type: 'integer', description: 'Accepted recipients' }) total!: number;
  @ApiProperty({ type: BulkCountsDto }) counts!: BulkCountsDto;
  @ApiProperty({ example: 0.25, description: 'Settled share of the recipients, 0 to 1' }) progress!: number;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
}

export class BulkResponseDto extends BulkOverviewDto {
  @ApiProperty({
    nullable: true,
    type: String,
    format: 'date-time',
    description: 'Estimate, from the pacing, while queued or running',
  })
  expected_finish_at!: string | null;
  @ApiProperty({ type: [String], description: 'Content guard warnings given when the bulk was accepted' })
  warnings!: string[];
  @ApiProperty({ nullable: true, type: String, format: 'date-time', description: 'When a scheduled bulk starts' })
  send_at!: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    format: 'date-time',
    description: 'Recipients not sent by then are never sent (status `expired`)',
  })
  expires_at!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) started_at!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) finished_at!: string | null;
  @ApiProperty({ type: BulkRecipientDto, isArray: true, description: 'This page of recipients, by position' })
  recipients!: BulkRecipientDto[];
  @ApiProperty({
    nullable: true,
    type: 'integer',
    description: '`after` for the next page of recipients; null on the last page',
  })
  next_after!: number | null;
}

export class BulkSummaryDto {
  @ApiProperty({ format: 'uuid' }) bulk_id!: string;
  @ApiProperty({ enum: BULK_STATUSES, enumName: 'BulkStatus' }) status!: string;
  @ApiProperty({ nullable: true, type: String, example: 'paused by request' }) pause_reason!: string | null;
}

export class BulkListResponseDto {
  @ApiProperty({ type: BulkOverviewDto, isArray: true, description: 'Newest first' }) bulks!: BulkOverviewDto[];
  @ApiProperty({ nullable: true, type: String, description: '`cursor` for the next page; null on the last page' })
  next_cursor!: string | null;
}
