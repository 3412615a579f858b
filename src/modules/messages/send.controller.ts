import { Body, Controller, Post, Res, UseInterceptors } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import { ApiUpstreamErrors, ErrorResponseDto } from '@/common/errors/error-response.dto';
import { ClientAuthenticated, CurrentClient } from '@/modules/auth/auth.guards';
import { ClientAuth } from '@/modules/auth/auth-context';
import { IdempotencyInterceptor } from '@/modules/idempotency/idempotency.interceptor';
import { MessageResponseDto } from './dto/message-response.dto';
import { SendMediaDto, SendTextDto } from './dto/send.dto';
import { SendService } from './send.service';

const idempotencyHeader = ApiHeader({
  name: 'Idempotency-Key',
  required: false,
  description:
    'Repeat a request safely: the same key and body within 24 hours returns the first answer without sending again',
});

@ApiTags('Messages')
@ApiForbiddenResponse({
  type: ErrorResponseDto,
  description:
    'Unknown, revoked or deactivated API key, or the number is on the client’s opt-out list (code OPTED_OUT: logged failed, not sent)',
})
@ClientAuthenticated()
@UseInterceptors(IdempotencyInterceptor)
@ApiBadRequestResponse({
  type: ErrorResponseDto,
  description: 'Invalid field, invalid number, or number not on WhatsApp',
})
@ApiNotFoundResponse({ type: ErrorResponseDto, description: 'Unknown instance' })
@ApiConflictResponse({
  type: ErrorResponseDto,
  description:
    'Instance not connected, or restricted by WhatsApp (code INSTANCE_RESTRICTED: logged out or banned, nothing sent ' +
    'until it is connected again), or the Idempotency-Key is still being processed',
})
@ApiTooManyRequestsResponse({
  type: ErrorResponseDto,
  description: 'Pacing slot too far away, or daily cap reached; see Retry-After',
})
@ApiUnprocessableEntityResponse({
  type: ErrorResponseDto,
  description:
    'MESSAGE_EXPIRED: the expiry (expires_at / ttl_seconds) comes before the instance’s next pacing slot, so the message was logged `expired` and not sent (X-Message-Log-Id names the row); or an Idempotency-Key reused with a different body',
})
@ApiAcceptedResponse({
  type: MessageResponseDto,
  description: 'With send_at: the message, status `scheduled`; it goes out at send_at',
})
@ApiUpstreamErrors()
@Controller('api/v1/whatsapp')
export class SendController {
  constructor(private readonly sender: SendService) {}

  @Post('send')
  @idempotencyHeader
  @ApiOperation({
    summary: 'Send a text message',
    description:
      'Paced per instance (anti-ban); answers with the logged message. With send_at it is scheduled (202) and sent then; with expires_at or ttl_seconds it is never sent later than that.',
  })
  @ApiCreatedResponse({ type: MessageResponseDto })
  async send(
    @CurrentClient() auth: ClientAuth,
    @Body() dto: SendTextDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<MessageResponseDto> {
    return acceptedIfScheduled(reply, await this.sender.sendText(auth, dto));
  }

  @Post('send-media')
  @idempotencyHeader
  @ApiOperation({
    summary: 'Send an image, video, document or audio file',
    description: 'send_at, expires_at and ttl_seconds work as on /send; a URL is fetched when the request is made.',
  })
  @ApiCreatedResponse({ type: MessageResponseDto })
  @ApiBadRequestResponse({
    type: ErrorResponseDto,
    description:
      'Invalid field or number, number not on WhatsApp, media that cannot be fetched, or a file the WhatsApp server cannot process (an image in an unsupported format)',
  })
  @ApiPayloadTooLargeResponse({ type: ErrorResponseDto, description: 'media is larger than MAX_MEDIA_BYTES' })
  async sendMedia(
    @CurrentClient() auth: ClientAuth,
    @Body() dto: SendMediaDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<MessageResponseDto> {
    return acceptedIfScheduled(reply, await this.sender.sendMedia(auth, dto));
  }
}

/** A scheduled message is accepted, not created: 202, and the Idempotency-Key replays record that status. */
function acceptedIfScheduled(reply: FastifyReply, message: MessageResponseDto): MessageResponseDto {
  if (message.status === 'scheduled') void reply.status(202);
  return message;
}
