import { Controller, Get, Query, StreamableFile } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ErrorResponseDto } from '@/common/errors/error-response.dto';
import { ClientAuthenticated, CurrentClient } from '@/modules/auth/auth.guards';
import { ClientAuth } from '@/modules/auth/auth-context';
import { ExportQueryDto } from './dto/export-query.dto';
import { LogsQueryDto } from './dto/logs-query.dto';
import { MessageListResponseDto } from './dto/message-response.dto';
import { StatsResponseDto } from './dto/stats-response.dto';
import { MessageExportService } from './message-export.service';
import { MessageLogService } from './message-log.service';
import { StatsResponse, StatsService } from './stats.service';

@ApiTags('Messages')
@ClientAuthenticated()
@Controller('api/v1/whatsapp')
export class MessageLogController {
  constructor(
    private readonly log: MessageLogService,
    private readonly exporter: MessageExportService,
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

  @Get('messages/export')
  @ApiOperation({
    summary: 'Message log as a file (CSV or NDJSON), newest first',
    description:
      'The same filters and scope as GET /messages, every matching row, streamed as a download ' +
      '(Content-Disposition: attachment; filename="messages-<date>.csv|ndjson"). CSV is RFC 4180 with a header row of ' +
      'the JSON field names; a cell starting with = + - @ tab or CR gets a leading apostrophe so spreadsheets do not ' +
      'run it as a formula. NDJSON is one JSON object a line, as GET /messages returns them.',
  })
  @ApiOkResponse({
    description: 'The export, streamed',
    content: {
      'text/csv': { schema: { type: 'string', format: 'binary' } },
      'application/x-ndjson': { schema: { type: 'string', format: 'binary' } },
    },
  })
  @ApiBadRequestResponse({ type: ErrorResponseDto, description: 'An unknown format, or an invalid filter or number' })
  async export(@CurrentClient() auth: ClientAuth, @Query() query: ExportQueryDto): Promise<StreamableFile> {
    const file = await this.exporter.export(auth, query);
    return new StreamableFile(file.stream, {
      type: file.contentType,
      disposition: `attachment; filename="${file.fileName}"`,
    });
  }

  @Get('stats')
  @ApiOperation({ summary: 'Usage analytics' })
  @ApiOkResponse({ type: StatsResponseDto })
  stats(@CurrentClient() auth: ClientAuth): Promise<StatsResponse> {
    return this.usage.stats(auth);
  }
}
