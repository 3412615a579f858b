import { Body, Get, Post, Put, Query } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiQuery } from '@nestjs/swagger';
import { legacyBody } from './dto/passthrough-docs.dto';
import { PassthroughService } from './passthrough.service';
import { Caller, InstanceName, PassthroughCaller, PassthroughController } from './passthrough-auth.guard';
import { FORWARDED } from './passthrough-routes';
import { UpstreamAnswer } from './upstream-answer';

type QueryParams = Record<string, unknown>;
const participantsBody = legacyBody({ action: 'add', participants: ['254712345678'] });
const groupJid = ApiQuery({ name: 'groupJid', required: false, description: 'The group (or `groupJid` in the body)' });

@PassthroughController('group')
export class PassthroughGroupController {
  constructor(private readonly passthrough: PassthroughService) {}

  @Post('create/:instanceName')
  @ApiOperation({ summary: 'Create a group' })
  @ApiBody(
    legacyBody({
      subject: 'Team Updates',
      description: 'Company-wide announcements',
      participants: ['254712345678', '254700112233'],
    }),
  )
  create(@Caller() c: PassthroughCaller, @InstanceName() name: string, @Body() body: unknown): Promise<UpstreamAnswer> {
    return this.passthrough.forward(c, name, FORWARDED.createGroup, body);
  }

  @Get('fetchAllGroups/:instanceName')
  @ApiOperation({ summary: 'List all groups' })
  @ApiQuery({ name: 'getParticipants', required: true, enum: ['true', 'false'] })
  fetchAllGroups(
    @Caller() c: PassthroughCaller,
    @InstanceName() name: string,
    @Query() query: QueryParams,
  ): Promise<UpstreamAnswer> {
    return this.passthrough.forward(c, name, FORWARDED.fetchAllGroups, undefined, query);
  }

  @Put('updateParticipant/:instanceName')
  @ApiOperation({ summary: 'Add, remove, promote or demote participants (PUT as in the reference; POST upstream)' })
  @groupJid
  @ApiBody(participantsBody)
  updateParticipantPut(
    @Caller() c: PassthroughCaller,
    @InstanceName() name: string,
    @Body() body: unknown,
    @Query() query: QueryParams,
  ): Promise<UpstreamAnswer> {
    return this.passthrough.forward(c, name, FORWARDED.updateParticipant, body, query);
  }

  @Post('updateParticipant/:instanceName')
  @ApiOperation({ summary: 'Add, remove, promote or demote participants (the upstream’s method)' })
  @groupJid
  @ApiBody(participantsBody)
  updateParticipantPost(
    @Caller() c: PassthroughCaller,
    @InstanceName() name: string,
    @Body() body: unknown,
    @Query() query: QueryParams,
  ): Promise<UpstreamAnswer> {
    return this.passthrough.forward(c, name, FORWARDED.updateParticipant, body, query);
  }
}
