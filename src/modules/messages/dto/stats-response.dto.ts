import { ApiProperty } from '@nestjs/swagger';
import type { StatsResponse } from '../stats.service';

export class MessageTypeCountDto {
  @ApiProperty({ example: 'text' }) message_type!: string;
  @ApiProperty({ type: 'integer', description: 'Send attempts of this type, in all' }) count!: number;
}

export class DailyCountDto {
  @ApiProperty({ format: 'date', example: '2026-11-30', description: 'UTC day' }) date!: string;
  @ApiProperty({ type: 'integer', description: 'Send attempts that day' }) count!: number;
}

/** Usage analytics, with exactly the reference's keys. */
export class StatsResponseDto implements StatsResponse {
  @ApiProperty({ type: 'integer', description: 'Send attempts today (UTC)' }) messages_today!: number;
  @ApiProperty({ type: 'integer', description: 'Messages that reached at least sent, in all' }) total_sent!: number;
  @ApiProperty({ type: 'integer', description: 'Send attempts, in all' }) total_attempts!: number;
  @ApiProperty({ example: '98.7%', description: 'total_sent over total_attempts; "0.0%" before the first attempt' })
  success_rate!: string;
  @ApiProperty({ type: MessageTypeCountDto, isArray: true, description: 'Most attempted type first' })
  by_type!: MessageTypeCountDto[];
  @ApiProperty({
    type: DailyCountDto,
    isArray: true,
    description: 'The last 30 days, oldest first, today last; days without sends count 0',
  })
  daily_last_30!: DailyCountDto[];
  @ApiProperty({ type: 'integer', description: 'The client’s requests per minute' }) rate_limit!: number;
}
