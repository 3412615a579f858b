import { Injectable } from '@nestjs/common';
import { ConflictError, NotFoundError, ValidationError } from '@/common/errors/app-error';
import { ClientAuth } from '@/modules/auth/auth-context';
import { MessageResponseDto, toMessageResponse } from './dto/message-response.dto';
import { ScheduledSendRepository } from './scheduled-send.repository';

const MESSAGE_ID = /^[1-9]\d{0,18}$/;

/** What a client does with its scheduled messages before they are due. */
@Injectable()
export class ScheduledMessageService {
  constructor(private readonly scheduled: ScheduledSendRepository) {}

  /** Cancels a scheduled message: it is never sent. 409 naming its status when it is not (or no longer) scheduled. */
  async cancel(auth: ClientAuth, id: string): Promise<MessageResponseDto> {
    if (!MESSAGE_ID.test(id)) throw new ValidationError('id: must be a message log id', 'INVALID_MESSAGE_ID');
    const closed = await this.scheduled.closeForClient(
      auth.clientId,
      BigInt(id),
      'cancelled',
      'cancelled by request',
      auth.instanceId,
    );
    if (!closed) throw new NotFoundError(`Message ${id} does not exist`, 'MESSAGE_NOT_FOUND');
    if (!closed.moved) {
      throw new ConflictError(
        `Message ${id} is ${closed.message.status}: only a scheduled message can be cancelled`,
        'MESSAGE_NOT_SCHEDULED',
      );
    }
    return toMessageResponse(closed.message, closed.instanceName, closed.schedule);
  }
}
