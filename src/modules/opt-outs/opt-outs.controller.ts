import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { ErrorResponseDto } from '@/common/errors/error-response.dto';
import { ClientAuthenticated, CurrentClient } from '@/modules/auth/auth.guards';
import { ClientAuth } from '@/modules/auth/auth-context';
import {
  ImportedOptOutsDto,
  ImportOptOutsDto,
  MAX_NUMBERS_PER_IMPORT,
  OptOutsPageDto,
  OptOutsQueryDto,
} from './dto/opt-outs.dto';
import { OptOutsService } from './opt-outs.service';

const clientWide = ApiForbiddenResponse({
  type: ErrorResponseDto,
  description: 'Unknown, revoked or deactivated API key, or an instance key (the list belongs to the whole client)',
});

@ApiTags('Opt-outs')
@ClientAuthenticated()
@Controller('api/v1/whatsapp/opt-outs')
export class OptOutsController {
  constructor(private readonly optOuts: OptOutsService) {}

  @Get()
  @ApiOperation({
    summary: 'The client’s opt-out list, newest first',
    description:
      'Numbers no send of the client reaches (v1, bulk and pass-through alike): those that sent an opt-out keyword ' +
      '(STOP, UNSUBSCRIBE, ... as the operator configured) to any of its instances, and those added here.',
  })
  @ApiOkResponse({ type: OptOutsPageDto })
  @ApiBadRequestResponse({ type: ErrorResponseDto, description: 'An invalid number or cursor' })
  @clientWide
  list(@CurrentClient() auth: ClientAuth, @Query() query: OptOutsQueryDto): Promise<OptOutsPageDto> {
    return this.optOuts.list(auth, query);
  }

  @Post()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Add numbers to the opt-out list (import)',
    description:
      `1 to ${MAX_NUMBERS_PER_IMPORT} numbers, normalised as sends are. Numbers already on the list are left as ` +
      'they are, so the same import can be repeated; one invalid number is a 400 naming it, and nothing is added.',
  })
  @ApiOkResponse({ type: ImportedOptOutsDto })
  @ApiBadRequestResponse({
    type: ErrorResponseDto,
    description: 'A missing or invalid field, or a value that is not a person’s number',
  })
  @clientWide
  import(@CurrentClient() auth: ClientAuth, @Body() dto: ImportOptOutsDto): Promise<ImportedOptOutsDto> {
    return this.optOuts.import(auth, dto);
  }

  @Delete(':number')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Take a number off the opt-out list',
    description: 'Sends reach it again at once. Only for a number that asked for messages again.',
  })
  @ApiParam({ name: 'number', description: 'In any form a send takes', example: '254712345678' })
  @ApiNoContentResponse({ description: 'Taken off the list' })
  @ApiNotFoundResponse({
    type: ErrorResponseDto,
    description: 'The number is not on the list (code OPT_OUT_NOT_FOUND)',
  })
  @ApiBadRequestResponse({ type: ErrorResponseDto, description: 'Not a phone number' })
  @clientWide
  async remove(@CurrentClient() auth: ClientAuth, @Param('number') number: string): Promise<void> {
    await this.optOuts.remove(auth, number);
  }
}
