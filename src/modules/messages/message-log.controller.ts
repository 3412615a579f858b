import { Controller, Get, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ErrorResponseDto } from '@/common/errors/error-response.dto';
import { ClientAuthenticated, CurrentClient } from '@/modules/auth/auth.guards';
import { ClientAuth } from '@/modules/auth/auth-context';
import { LogsQueryDto } from './dto/logs-query.dto';
import { MessageListResponseDto } from './dto/message-response.dto';
import { StatsResponseDto } from './dto/stats-response.dto';
import { MessageLogService } from './message-log.service';
import { StatsResponse, StatsService } from './stats.service';

@ApiTags('Messages')
@ClientAuthenticated()
@Controller('api/v1/whatsapp')
export class MessageLogController {
  constructor(
    private readonly log: MessageLogService,
    private readonly usage: StatsService,
  ) {}

  @Get('messages')
  @ApiOperation({
    summary: 'Message log, newest first',
    description: 'Filter by instance, status, number, bulk_id, from, to; page with offset or cursor.',
  })
  @ApiOkResponse({ type: MessageListResponseDto })
  @ApiBadRequestResponse({ type: ErrorResponseDto, description: 'An invalid filter, number or cursor' })
  list(@CurrentClient() auth: ClientAuth, @Query() query: LogsQueryDto): Promise<MessageListResponseDto> {
    return this.log.list(auth, query);
  }

  @Get('stats')
  @ApiOperation({ summary: 'Usage analytics' })
  @ApiOkResponse({ type: StatsResponseDto })
  stats(@CurrentClient() auth: ClientAuth): Promise<StatsResponse> {
    return this.usage.stats(auth);
  }
}
