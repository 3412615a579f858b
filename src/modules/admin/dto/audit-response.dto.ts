import { ApiProperty } from '@nestjs/swagger';
import { AuditEventResponse } from '@/modules/audit/audit.service';

export class AuditEventDto implements AuditEventResponse {
  @ApiProperty({ example: '1234' }) id!: string;
  @ApiProperty({ enum: ['admin', 'client', 'system'], enumName: 'AuditActorType' }) actor_type!: string;
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'The admin user id or the client id that acted; null for the system',
  })
  actor_id!: string | null;
  @ApiProperty({ nullable: true, type: 'integer', description: 'The client the event is about' })
  client_id!: number | null;
  @ApiProperty({ example: 'client.key_rotated' }) action!: string;
  @ApiProperty({ example: 'client', description: 'What was acted on: client, instance, ...' }) target_type!: string;
  @ApiProperty({ nullable: true, type: String }) target_id!: string | null;
  @ApiProperty({
    nullable: true,
    type: 'object',
    additionalProperties: true,
    description: 'What changed; never a secret',
    example: { key_prefix: 'nmk_live_ab12', grace_seconds: 0 },
  })
  details!: unknown;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
}

export class AuditListResponseDto {
  @ApiProperty({ type: AuditEventDto, isArray: true, description: 'Newest first' }) events!: AuditEventDto[];
  @ApiProperty({ nullable: true, type: String, description: '`cursor` for the next page; null on the last page' })
  next_cursor!: string | null;
}
