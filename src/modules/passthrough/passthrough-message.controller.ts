import { Body, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiOperation,
  getSchemaPath,
} from '@nestjs/swagger';
import { ErrorResponseDto } from '@/common/errors/error-response.dto';
import { legacyDtoBody } from './dto/passthrough-docs.dto';
import {
  LegacySendAudioDto,
  LegacySendDto,
  LegacySendMediaDto,
  LegacySendReactionDto,
  LegacySendStickerDto,
  LegacySendTextDto,
} from './dto/send-message.dto';
import { PassthroughService } from './passthrough.service';
import { Caller, InstanceName, PassthroughCaller, PassthroughController } from './passthrough-auth.guard';
import { UpstreamAnswer } from './upstream-answer';

const to = '254712345678';

/** Every send is logged (source `passthrough`), paced, capped and counted like a v1 send. */
@ApiBadRequestResponse({
  description:
    'The gateway’s own refusals, in the one error shape: a field it checks is missing or invalid (named), a number ' +
    'that is not a phone number, a media URL it may not fetch, or send_at, expires_at or ttl_seconds (code ' +
    'PASSTHROUGH_SCHEDULING_UNSUPPORTED: pass-through sends leave at once; scheduling and expiry are on the v1 send ' +
    'routes). A 400 the WhatsApp server answered passes through with its own body.',
  schema: {
    oneOf: [
      { $ref: getSchemaPath(ErrorResponseDto) },
      { type: 'object', additionalProperties: true, description: 'The WhatsApp server’s own body' },
    ],
  },
})
@ApiForbiddenResponse({
  type: ErrorResponseDto,
  description:
    'Unknown, revoked or deactivated key, or the number is on the client’s opt-out list (code OPTED_OUT: logged failed, not sent)',
})
@ApiConflictResponse({
  type: ErrorResponseDto,
  description:
    'The instance is restricted by WhatsApp (code INSTANCE_RESTRICTED: logged out or banned; nothing is sent until ' +
    'it is connected again)',
})
@PassthroughController('message')
@ApiCreatedResponse({
  description:
    'The upstream’s send answer (`key.id` is the WhatsApp message id); the X-Message-Log-Id header names the log row',
})
export class PassthroughMessageController {
  constructor(private readonly passthrough: PassthroughService) {}

  @Post('sendText/:instanceName')
  @ApiOperation({ summary: 'Send a text message' })
  @ApiBody(legacyDtoBody(LegacySendTextDto, { number: to, text: 'Hello from NextMavens API!', delay: 1200 }))
  sendText(
    @Caller() c: PassthroughCaller,
    @InstanceName() name: string,
    @Body() body: LegacySendTextDto,
  ): Promise<UpstreamAnswer> {
    return this.passthrough.send(c, name, 'sendText', body);
  }

  @Post('sendMedia/:instanceName')
  @ApiOperation({ summary: 'Send an image, video, document or audio file' })
  @ApiBody(
    legacyDtoBody(LegacySendMediaDto, {
      number: to,
      mediatype: 'image',
      media: 'https://example.com/photo.jpg',
      caption: 'Check this out!',
      delay: 2000,
    }),
  )
  sendMedia(
    @Caller() c: PassthroughCaller,
    @InstanceName() name: string,
    @Body() body: LegacySendMediaDto,
  ): Promise<UpstreamAnswer> {
    return this.passthrough.send(c, name, 'sendMedia', body);
  }

  @Post('sendWhatsAppAudio/:instanceName')
  @ApiOperation({ summary: 'Send a voice note (earpiece bubble)' })
  @ApiBody(legacyDtoBody(LegacySendAudioDto, { number: to, audio: 'https://example.com/note.mp3', encoding: true }))
  sendWhatsAppAudio(
    @Caller() c: PassthroughCaller,
    @InstanceName() name: string,
    @Body() body: LegacySendAudioDto,
  ): Promise<UpstreamAnswer> {
    return this.passthrough.send(c, name, 'sendWhatsAppAudio', body);
  }

  @Post('sendLocation/:instanceName')
  @ApiOperation({ summary: 'Send a location pin' })
  @ApiBody(
    legacyDtoBody(LegacySendDto, {
      number: to,
      name: 'Nairobi CBD',
      address: 'Kenyatta Avenue, Nairobi, Kenya',
      latitude: -1.2921,
      longitude: 36.8219,
    }),
  )
  sendLocation(
    @Caller() c: PassthroughCaller,
    @InstanceName() name: string,
    @Body() body: LegacySendDto,
  ): Promise<UpstreamAnswer> {
    return this.passthrough.send(c, name, 'sendLocation', body);
  }

  @Post('sendContact/:instanceName')
  @ApiOperation({ summary: 'Send a contact card' })
  @ApiBody(
    legacyDtoBody(LegacySendDto, {
      number: to,
      contact: [{ fullName: 'John Smith', wuid: '254700000000', phoneNumber: '+254 700 000 000' }],
    }),
  )
  sendContact(
    @Caller() c: PassthroughCaller,
    @InstanceName() name: string,
    @Body() body: LegacySendDto,
  ): Promise<UpstreamAnswer> {
    return this.passthrough.send(c, name, 'sendContact', body);
  }

  @Post('sendSticker/:instanceName')
  @ApiOperation({ summary: 'Send a sticker' })
  @ApiBody(legacyDtoBody(LegacySendStickerDto, { number: to, sticker: 'https://example.com/sticker.png' }))
  sendSticker(
    @Caller() c: PassthroughCaller,
    @InstanceName() name: string,
    @Body() body: LegacySendStickerDto,
  ): Promise<UpstreamAnswer> {
    return this.passthrough.send(c, name, 'sendSticker', body);
  }

  @Post('sendPoll/:instanceName')
  @ApiOperation({ summary: 'Send a poll' })
  @ApiBody(
    legacyDtoBody(LegacySendDto, {
      number: to,
      name: 'Preferred contact method?',
      selectableCount: 1,
      values: ['Email', 'Phone Call', 'WhatsApp'],
    }),
  )
  sendPoll(
    @Caller() c: PassthroughCaller,
    @InstanceName() name: string,
    @Body() body: LegacySendDto,
  ): Promise<UpstreamAnswer> {
    return this.passthrough.send(c, name, 'sendPoll', body);
  }

  @Post('sendButtons/:instanceName')
  @ApiOperation({ summary: 'Send reply, URL or call buttons' })
  @ApiBody(
    legacyDtoBody(LegacySendDto, {
      number: to,
      title: 'Choose an option',
      description: 'Please select below:',
      buttons: [{ type: 'reply', displayText: 'Yes', id: 'btn_yes' }],
    }),
  )
  sendButtons(
    @Caller() c: PassthroughCaller,
    @InstanceName() name: string,
    @Body() body: LegacySendDto,
  ): Promise<UpstreamAnswer> {
    return this.passthrough.send(c, name, 'sendButtons', body);
  }

  @Post('sendReaction/:instanceName')
  @ApiOperation({ summary: 'Add or remove (empty reaction) an emoji reaction' })
  @ApiBody(
    legacyDtoBody(LegacySendReactionDto, {
      key: { remoteJid: `${to}@s.whatsapp.net`, fromMe: false, id: 'BAE5F2A1B2C3D4E5' },
      reaction: '👍',
    }),
  )
  sendReaction(
    @Caller() c: PassthroughCaller,
    @InstanceName() name: string,
    @Body() body: LegacySendReactionDto,
  ): Promise<UpstreamAnswer> {
    return this.passthrough.send(c, name, 'sendReaction', body);
  }
}
