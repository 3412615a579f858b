import { ApiProperty } from '@nestjs/swagger';
import { Message } from '@/generated/prisma/client';

export class MessageResponseDto {
  @ApiProperty({ description: 'Message log id', example: '1234' }) id!: string;
  @ApiProperty({ example: 'my-sales' }) instance!: string;
  @ApiProperty({ description: 'Normalised recipient', example: '254712345678' }) number!: string;
  @ApiProperty({ example: 'text' }) message_type!: string;
  @ApiProperty({ enum: ['queued', 'sent', 'delivered', 'read', 'failed'] }) status!: string;
  @ApiProperty({ nullable: true, type: String, description: 'WhatsApp message id (data.key.id in webhooks)' })
  message_id!: string | null;
  @ApiProperty({ nullable: true, type: String }) bulk_id!: string | null;
  @ApiProperty({ enum: ['api', 'bulk', 'passthrough'] }) source!: string;
  @ApiProperty({ nullable: true, type: String }) error!: string | null;
  @ApiProperty() created_at!: string;
  @ApiProperty({ nullable: true, type: String }) sent_at!: string | null;
  @ApiProperty({ nullable: true, type: String }) delivered_at!: string | null;
  @ApiProperty({ nullable: true, type: String }) read_at!: string | null;
  @ApiProperty({ nullable: true, type: String }) failed_at!: string | null;
}

export function toMessageResponse(message: Message, instanceName: string): MessageResponseDto {
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
  };
}
