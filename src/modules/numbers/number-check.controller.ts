import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import { ApiUpstreamErrors, ErrorResponseDto } from '@/common/errors/error-response.dto';
import { MAX_NUMBERS_PER_CHECK } from '@/config/env.schema';
import { ClientAuthenticated, CurrentClient } from '@/modules/auth/auth.guards';
import { ClientAuth } from '@/modules/auth/auth-context';
import { CheckNumbersDto, NumberCheckDto } from './dto/check-numbers.dto';
import { NumberCheckService } from './number-check.service';

@ApiTags('Messages')
@ClientAuthenticated()
@Controller('api/v1/whatsapp')
export class NumberCheckController {
  constructor(private readonly numbers: NumberCheckService) {}

  @Post('check-numbers')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Check which numbers have WhatsApp',
    description:
      `Up to ${MAX_NUMBERS_PER_CHECK} numbers, looked up through the instance's session. Answers are kept per client ` +
      'for NUMBER_CHECK_CACHE_DAYS (7 by default), and an instance looks up at most NUMBER_CHECK_PER_MINUTE numbers ' +
      `a minute (${MAX_NUMBERS_PER_CHECK} by default, never fewer; cached answers do not count): checking many ` +
      'numbers at once gets WhatsApp numbers banned. A check past the limit takes nothing and answers 429 with ' +
      'Retry-After, when the minute ends and any single check fits again. `exists` is null for a number the ' +
      'WhatsApp server gave no answer for: it is not kept, so asking again looks it up again.',
  })
  @ApiOkResponse({ type: NumberCheckDto, isArray: true, description: 'One answer per number, in the order asked' })
  @ApiBadRequestResponse({
    type: ErrorResponseDto,
    description: 'A missing or invalid field, or a number that is not a phone number',
  })
  @ApiNotFoundResponse({ type: ErrorResponseDto, description: 'Unknown instance' })
  @ApiConflictResponse({ type: ErrorResponseDto, description: 'Instance not connected' })
  @ApiTooManyRequestsResponse({
    type: ErrorResponseDto,
    description:
      'The client’s requests per minute, or the instance’s lookups for this minute (code NUMBER_CHECK_LIMIT), are ' +
      'used up; see Retry-After',
  })
  @ApiUpstreamErrors()
  check(@CurrentClient() auth: ClientAuth, @Body() dto: CheckNumbersDto): Promise<NumberCheckDto[]> {
    return this.numbers.check(auth, dto);
  }
}
