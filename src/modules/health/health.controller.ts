import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { errorBody } from '@/common/errors/http-status';
import { LivenessResponseDto, NotReadyResponseDto, ReadinessResponseDto } from './dto/health-response.dto';
import { HealthService } from './health.service';

@ApiTags('Operations')
@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Get()
  @ApiOperation({ summary: 'Liveness: the process is up' })
  @ApiOkResponse({ type: LivenessResponseDto })
  live(): LivenessResponseDto {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOperation({ summary: 'Readiness: Postgres, Redis and at least one upstream answer; each upstream is listed' })
  @ApiOkResponse({ type: ReadinessResponseDto, description: 'Every dependency answered' })
  @ApiServiceUnavailableResponse({
    type: NotReadyResponseDto,
    description: 'At least one dependency is down; the message names it. Retry-After: 5',
  })
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<ReadinessResponseDto | NotReadyResponseDto> {
    const { ready, checks, upstreams } = await this.health.readiness();
    if (ready) return { status: 'ok', checks, upstreams };
    const down = Object.entries(checks)
      .filter(([, c]) => c.status === 'down')
      .map(([name, c]) => `${name} (${c.error})`);
    void reply.status(503).header('Retry-After', '5');
    return { ...errorBody(503, 'NOT_READY', `Not ready: ${down.join(', ')}`), checks, upstreams };
  }
}
