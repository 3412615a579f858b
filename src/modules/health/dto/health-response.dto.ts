import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ErrorResponseDto } from '@/common/errors/error-response.dto';
import type { CheckResult, Readiness } from '../health.service';

export class LivenessResponseDto {
  @ApiProperty({ enum: ['ok'] }) status!: 'ok';
}

export class ReadinessCheckDto implements CheckResult {
  @ApiProperty({ enum: ['up', 'down'] }) status!: 'up' | 'down';
  @ApiProperty({ type: 'integer', description: 'How long the check took, in ms' }) latency_ms!: number;
  @ApiPropertyOptional({ description: 'Why the dependency counts as down (only when it does)' }) error?: string;
}

type ReadinessChecks = Readiness['checks'];

export class ReadinessChecksDto implements ReadinessChecks {
  @ApiProperty({ type: ReadinessCheckDto }) database!: ReadinessCheckDto;
  @ApiProperty({ type: ReadinessCheckDto }) redis!: ReadinessCheckDto;
  @ApiProperty({ type: ReadinessCheckDto, description: 'The Evolution API server' }) upstream!: ReadinessCheckDto;
}

export class ReadinessResponseDto {
  @ApiProperty({ enum: ['ok'] }) status!: 'ok';
  @ApiProperty({ type: ReadinessChecksDto }) checks!: ReadinessChecksDto;
}

/** The error body with each dependency's check. */
export class NotReadyResponseDto extends ErrorResponseDto {
  @ApiProperty({ type: ReadinessChecksDto }) checks!: ReadinessChecksDto;
}
