import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query, UseInterceptors } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { ValidationError } from '@/common/errors/app-error';
import { ErrorResponseDto } from '@/common/errors/error-response.dto';
import { ClientAuthenticated, CurrentClient } from '@/modules/auth/auth.guards';
import { ClientAuth } from '@/modules/auth/auth-context';
import { IdempotencyInterceptor } from '@/modules/idempotency/idempotency.interceptor';
import { BulkService } from './bulk.service';
import { BulkListResponseDto, BulkResponseDto, BulkSummaryDto } from './dto/bulk-response.dto';
import { ListBulksQueryDto } from './dto/list-bulks.dto';
import { BulkAcceptedDto, BulkQueryDto, SendBulkDto } from './dto/send-bulk.dto';

const bulkId = new ParseUUIDPipe({ exceptionFactory: () => new ValidationError('id: must be a bulk id') });
const invalid = (description: string) => ApiBadRequestResponse({ type: ErrorResponseDto, description });
const unknown = () =>
  ApiNotFoundResponse({ type: ErrorResponseDto, description: 'The bulk does not exist, or is not the caller’s' });

@ApiTags('Bulk')
@ClientAuthenticated()
@Controller('api/v1/whatsapp/send-bulk')
export class BulkController {
  constructor(private readonly bulks: BulkService) {}

  @Post()
  @HttpCode(202)
  @UseInterceptors(IdempotencyInterceptor)
  @ApiOperation({
    summary: 'Send one message to many recipients, paced per instance',
    description:
      'Answers at once; the worker sends each recipient with the instance’s pacing. Invalid recipients are rejected one by one.',
  })
  @ApiAcceptedResponse({ type: BulkAcceptedDto })
  @invalid('A missing or invalid field, or no valid recipient')
  @ApiNotFoundResponse({ type: ErrorResponseDto, description: 'Unknown instance' })
  @ApiConflictResponse({ type: ErrorResponseDto, description: 'The Idempotency-Key is still being processed' })
  @ApiUnprocessableEntityResponse({
    type: ErrorResponseDto,
    description:
      'Content guard warnings, when the client is set to treat them as errors; or an Idempotency-Key reused with a different body',
  })
  create(@CurrentClient() auth: ClientAuth, @Body() dto: SendBulkDto): Promise<BulkAcceptedDto> {
    return this.bulks.create(auth, dto);
  }

  @Get()
  @ApiOperation({
    summary: 'The caller’s bulks, newest first, with their progress',
    description: 'Filter by instance and status; page with `cursor` (next_cursor of the previous page).',
  })
  @ApiOkResponse({ type: BulkListResponseDto })
  @invalid('An invalid filter or cursor')
  list(@CurrentClient() auth: ClientAuth, @Query() query: ListBulksQueryDto): Promise<BulkListResponseDto> {
    return this.bulks.list(auth, query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Progress, counts by status, expected finish, and the recipients page by page' })
  @ApiOkResponse({ type: BulkResponseDto })
  @invalid('A malformed bulk id, or an invalid page')
  @unknown()
  get(
    @CurrentClient() auth: ClientAuth,
    @Param('id', bulkId) id: string,
    @Query() query: BulkQueryDto,
  ): Promise<BulkResponseDto> {
    return this.bulks.get(auth, id, query.after ?? 0, query.limit);
  }

  @Post(':id/pause')
  @HttpCode(200)
  @ApiOperation({ summary: 'Pause a queued or running bulk' })
  @ApiOkResponse({ type: BulkSummaryDto })
  @invalid('A malformed bulk id')
  @unknown()
  @ApiConflictResponse({ type: ErrorResponseDto, description: 'The bulk is not queued or running' })
  pause(@CurrentClient() auth: ClientAuth, @Param('id', bulkId) id: string): Promise<BulkSummaryDto> {
    return this.bulks.pause(auth, id);
  }

  @Post(':id/resume')
  @HttpCode(200)
  @ApiOperation({ summary: 'Resume a paused bulk' })
  @ApiOkResponse({ type: BulkSummaryDto })
  @invalid('A malformed bulk id')
  @unknown()
  @ApiConflictResponse({ type: ErrorResponseDto, description: 'The bulk is not paused' })
  resume(@CurrentClient() auth: ClientAuth, @Param('id', bulkId) id: string): Promise<BulkSummaryDto> {
    return this.bulks.resume(auth, id);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancel a bulk: its unsent recipients are never sent' })
  @ApiOkResponse({ type: BulkSummaryDto })
  @invalid('A malformed bulk id')
  @unknown()
  @ApiConflictResponse({ type: ErrorResponseDto, description: 'The bulk already finished' })
  cancel(@CurrentClient() auth: ClientAuth, @Param('id', bulkId) id: string): Promise<BulkSummaryDto> {
    return this.bulks.cancel(auth, id);
  }
}
