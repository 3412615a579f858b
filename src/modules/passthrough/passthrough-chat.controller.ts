import { Body, Delete, Get, Post, Query } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiQuery } from '@nestjs/swagger';
import { LegacyDeleteMessageDto } from './dto/delete-message.dto';
import { LegacyProfilePictureDto } from './dto/fetch-profile-picture.dto';
import { legacyBody, legacyDtoBody } from './dto/passthrough-docs.dto';
import { PassthroughService } from './passthrough.service';
import { Caller, InstanceName, PassthroughCaller, PassthroughController } from './passthrough-auth.guard';
import { FORWARDED } from './passthrough-routes';
import { UpstreamAnswer } from './upstream-answer';

const jid = '254712345678@s.whatsapp.net';

@PassthroughController('chat')
export class PassthroughChatController {
  constructor(private readonly passthrough: PassthroughService) {}

  @Post('whatsappNumbers/:instanceName')
  @ApiOperation({ summary: 'Check which numbers are on WhatsApp' })
  @ApiBody(legacyBody({ numbers: ['254712345678', '254700112233'] }))
  whatsappNumbers(
    @Caller() c: PassthroughCaller,
    @InstanceName() name: string,
    @Body() body: unknown,
  ): Promise<UpstreamAnswer> {
    return this.passthrough.forward(c, name, FORWARDED.whatsappNumbers, body);
  }

  @Post('findMessages/:instanceName')
  @ApiOperation({ summary: 'Fetch chat history' })
  @ApiBody(legacyBody({ where: { key: { remoteJid: jid } }, limit: 50 }))
  findMessages(
    @Caller() c: PassthroughCaller,
    @InstanceName() name: string,
    @Body() body: unknown,
  ): Promise<UpstreamAnswer> {
    return this.passthrough.forward(c, name, FORWARDED.findMessages, body);
  }

  @Post('markMessageAsRead/:instanceName')
  @ApiOperation({ summary: 'Mark messages as read' })
  @ApiBody(legacyBody({ readMessages: [{ remoteJid: jid, fromMe: false, id: 'MESSAGE_ID' }] }))
  markMessageAsRead(
    @Caller() c: PassthroughCaller,
    @InstanceName() name: string,
    @Body() body: unknown,
  ): Promise<UpstreamAnswer> {
    return this.passthrough.forward(c, name, FORWARDED.markMessageAsRead, body);
  }

  @Get('fetchProfilePictureUrl/:instanceName')
  @ApiOperation({ summary: 'Profile picture URL of a number (GET as in the reference; POST upstream)' })
  @ApiQuery({ name: 'number', required: true, example: '254712345678' })
  fetchProfilePictureUrlGet(
    @Caller() c: PassthroughCaller,
    @InstanceName() name: string,
    @Query() query: LegacyProfilePictureDto,
  ): Promise<UpstreamAnswer> {
    return this.passthrough.fetchProfilePictureUrl(c, name, query);
  }

  @Post('fetchProfilePictureUrl/:instanceName')
  @ApiOperation({ summary: 'Profile picture URL of a number (the upstream’s method)' })
  @ApiBody(legacyDtoBody(LegacyProfilePictureDto, { number: '254712345678' }))
  fetchProfilePictureUrlPost(
    @Caller() c: PassthroughCaller,
    @InstanceName() name: string,
    @Body() body: LegacyProfilePictureDto,
  ): Promise<UpstreamAnswer> {
    return this.passthrough.fetchProfilePictureUrl(c, name, body);
  }

  @Delete('deleteMessage/:instanceName')
  @ApiOperation({ summary: 'Delete a message for everyone (the reference’s route; deleteMessageForEveryone upstream)' })
  @ApiBody(
    legacyDtoBody(LegacyDeleteMessageDto, {
      remoteJid: jid,
      messageId: 'BAE5F2A1B2C3D4E5',
      fromMe: true,
      onlyMe: false,
    }),
  )
  deleteMessage(
    @Caller() c: PassthroughCaller,
    @InstanceName() name: string,
    @Body() body: LegacyDeleteMessageDto,
  ): Promise<UpstreamAnswer> {
    return this.passthrough.deleteMessage(c, name, body);
  }

  @Delete('deleteMessageForEveryone/:instanceName')
  @ApiOperation({
    summary: 'Delete a message for everyone (the upstream’s route and body: {id, remoteJid, fromMe, participant?})',
  })
  @ApiBody(legacyDtoBody(LegacyDeleteMessageDto, { id: 'BAE5F2A1B2C3D4E5', remoteJid: jid, fromMe: true }))
  deleteMessageForEveryone(
    @Caller() c: PassthroughCaller,
    @InstanceName() name: string,
    @Body() body: LegacyDeleteMessageDto,
  ): Promise<UpstreamAnswer> {
    return this.passthrough.deleteMessage(c, name, body);
  }
}
