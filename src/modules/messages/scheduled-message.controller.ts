import { Controller, Delete, Param } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { ErrorResponseDto } from '@/common/errors/error-response.dto';
import { ClientAuthenticated, CurrentClient } from '@/modules/auth/auth.guards';
import { ClientAuth } from '@/modules/auth/auth-context';
import { MessageResponseDto } from './dto/message-response.dto';
import { ScheduledMessageService } from './scheduled-message.service';

@ApiTags('Messages')
@ClientAuthenticated()
@Controller('api/v1/whatsapp/messages')
export class ScheduledMessageController {
  constructor(private readonly scheduled: ScheduledMessageService) {}

  @Delete(':id')
  @ApiOperation({
    summary: 'Cancel a scheduled message',
    description:
      'A message sent with send_at that is not due yet becomes `cancelled` and is never sent. A scheduled bulk is cancelled with POST /send-bulk/{id}/cancel.',
  })
  @ApiParam({ name: 'id', description: 'Message log id (`id` of the send answer)', example: '1234' })
  @ApiOkResponse({ type: MessageResponseDto, description: 'The message, now `cancelled`' })
  @ApiBadRequestResponse({ type: ErrorResponseDto, description: 'id is not a message log id' })
  @ApiNotFoundResponse({ type: ErrorResponseDto, description: 'No such message, or not the caller’s' })
  @ApiConflictResponse({
    type: ErrorResponseDto,
    description:
      'The message is not scheduled (already sent, failed, cancelled or expired); the message names its status',
  })
  cancel(@CurrentClient() auth: ClientAuth, @Param('id') id: string): Promise<MessageResponseDto> {
    return this.scheduled.cancel(auth, id);
  }
}
