import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Message } from '@/generated/prisma/client';
import { MESSAGE_STATUSES } from './logs-query.dto';

export class MessageResponseDto {
  @ApiProperty({ description: 'Message log id', example: '1234' }) id!: string;
  @ApiProperty({ example: 'my-sales' }) instance!: string;
  @ApiProperty({ description: 'Normalised recipient', example: '254712345678' }) number!: string;
  @ApiProperty({ example: 'text' }) message_type!: string;
  @ApiProperty({
    enum: MESSAGE_STATUSES,
    enumName: 'MessageStatus',
    description:
      'queued → sent → delivered → read, or failed; scheduled until send_at, then queued, cancelled or expired',
  })
  status!: string;
  @ApiProperty({ nullable: true, type: String, description: 'WhatsApp message id (data.key.id in webhooks)' })
  message_id!: string | null;
  @ApiProperty({ nullable: true, type: String }) bulk_id!: string | null;
  @ApiProperty({ enum: ['api', 'bulk', 'passthrough'], enumName: 'MessageSource' }) source!: string;
  @ApiProperty({ nullable: true, type: String }) error!: string | null;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) sent_at!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) delivered_at!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) read_at!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) failed_at!: string | null;
  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    description: 'When a scheduled message is due: in the answers that schedule or cancel it',
  })
  send_at?: string;
  @ApiPropertyOptional({
    nullable: true,
    type: String,
    format: 'date-time',
    description: 'When a scheduled message expires unsent (null: never): in the answers that schedule or cancel it',
  })
  expires_at?: string | null;
}

export class MessageListResponseDto {
  @ApiProperty({ type: MessageResponseDto, isArray: true, description: 'Newest first' })
  messages!: MessageResponseDto[];
  @ApiProperty({ type: 'integer', description: 'Messages matching the filters, over every page' }) total!: number;
  @ApiProperty({ nullable: true, type: String, description: '`cursor` for the next page; null on the last page' })
  next_cursor!: string | null;
}

/** Fields only the answers that schedule or cancel a message carry: the log's pages and its export have none. */
export type ScheduleAnswerField = 'send_at' | 'expires_at';

/** The log row as the API shows it; `schedule` adds a scheduled message's due time and expiry. */
export function toMessageResponse(
  message: Message,
  instanceName: string,
  schedule?: { sendAt: Date; expiresAt: Date | null } | null,
): MessageResponseDto {
  return {
    id: message.id.toString(),
    instance: instanceName,
    number: message.number,
    message_type: message.messageType,
    status: message.status,
    message_id: message.upstreamMessageId,
    bulk_id: message.bulkId,
    source: message.source,
    error: message.error,
    created_at: message.createdAt.toISOString(),
    sent_at: message.sentAt?.toISOString() ?? null,
    delivered_at: message.deliveredAt?.toISOString() ?? null,
    read_at: message.readAt?.toISOString() ?? null,
    failed_at: message.failedAt?.toISOString() ?? null,
    ...(schedule && {
      send_at: schedule.sendAt.toISOString(),
      expires_at: schedule.expiresAt?.toISOString() ?? null,
    }),
  };
}
