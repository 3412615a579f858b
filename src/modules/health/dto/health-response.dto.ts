import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ErrorResponseDto } from '@/common/errors/error-response.dto';
import type { CheckResult, Readiness, UpstreamCheckResult } from '../health.service';

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
  @ApiProperty({
    type: ReadinessCheckDto,
    description: 'The Evolution API servers: up while at least one of the pool answers',
  })
  upstream!: ReadinessCheckDto;
}

export class ReadinessUpstreamDto extends ReadinessCheckDto implements UpstreamCheckResult {
  @ApiProperty({ description: 'The upstream’s name in the pool' }) name!: string;
  @ApiProperty({ type: 'integer', description: 'Live instances it holds' }) instances!: number;
  @ApiProperty({ type: 'integer', description: 'Instances it may hold' }) capacity!: number;
  @ApiProperty({ description: 'Draining: it gets no new instances' }) draining!: boolean;
  @ApiProperty({
    enum: ['up', 'down'],
    description: 'Its circuit in the process that answered: while down, its instances’ calls answer 503 at once',
  })
  circuit!: 'up' | 'down';
}

export class ReadinessResponseDto {
  @ApiProperty({ enum: ['ok'] }) status!: 'ok';
  @ApiProperty({ type: ReadinessChecksDto }) checks!: ReadinessChecksDto;
  @ApiProperty({ type: [ReadinessUpstreamDto], description: 'Each upstream of the pool' })
  upstreams!: ReadinessUpstreamDto[];
}

/** The error body with each dependency's check. */
export class NotReadyResponseDto extends ErrorResponseDto {
  @ApiProperty({ type: ReadinessChecksDto }) checks!: ReadinessChecksDto;
  @ApiProperty({ type: [ReadinessUpstreamDto], description: 'Each upstream of the pool' })
  upstreams!: ReadinessUpstreamDto[];
}
