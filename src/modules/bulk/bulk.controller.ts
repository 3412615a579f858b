import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query, UseInterceptors } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOperation,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { ValidationError } from '@/common/errors/app-error';
import { ClientAuthenticated, CurrentClient } from '@/modules/auth/auth.guards';
import { ClientAuth } from '@/modules/auth/auth-context';
import { IdempotencyInterceptor } from '@/modules/idempotency/idempotency.interceptor';
import { BulkService } from './bulk.service';
import { BulkAcceptedDto, BulkQueryDto, SendBulkDto } from './dto/send-bulk.dto';

const bulkId = new ParseUUIDPipe({ exceptionFactory: () => new ValidationError('id: must be a bulk id') });

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
  @ApiUnprocessableEntityResponse({
    description: 'Content guard warnings, when the client is set to treat them as errors',
  })
  create(@CurrentClient() auth: ClientAuth, @Body() dto: SendBulkDto): Promise<BulkAcceptedDto> {
    return this.bulks.create(auth, dto);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Progress, counts by status, expected finish, and the recipients page by page' })
  @ApiNotFoundResponse()
  get(@CurrentClient() auth: ClientAuth, @Param('id', bulkId) id: string, @Query() query: BulkQueryDto) {
    return this.bulks.get(auth, id, query.after ?? 0, query.limit);
  }

  @Post(':id/pause')
  @HttpCode(200)
  @ApiConflictResponse({ description: 'The bulk is not running' })
  pause(@CurrentClient() auth: ClientAuth, @Param('id', bulkId) id: string) {
    return this.bulks.pause(auth, id);
  }

  @Post(':id/resume')
  @HttpCode(200)
  @ApiConflictResponse({ description: 'The bulk is not paused' })
  resume(@CurrentClient() auth: ClientAuth, @Param('id', bulkId) id: string) {
    return this.bulks.resume(auth, id);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @ApiConflictResponse({ description: 'The bulk already finished' })
  cancel(@CurrentClient() auth: ClientAuth, @Param('id', bulkId) id: string) {
    return this.bulks.cancel(auth, id);
  }
}
