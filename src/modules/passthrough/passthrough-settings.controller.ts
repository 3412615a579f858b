import { Body, Get, Post } from '@nestjs/common';
import { ApiBody, ApiOperation } from '@nestjs/swagger';
import { legacyBody } from './dto/passthrough-docs.dto';
import { PassthroughService } from './passthrough.service';
import { Caller, InstanceName, PassthroughCaller, PassthroughController } from './passthrough-auth.guard';
import { FORWARDED } from './passthrough-routes';
import { UpstreamAnswer } from './upstream-answer';

const example = {
  rejectCall: true,
  msgCall: 'Sorry, I cannot take calls right now.',
  groupsIgnore: false,
  alwaysOnline: true,
  readMessages: false,
  readStatus: false,
  syncFullHistory: false,
};

@PassthroughController('settings')
export class PassthroughSettingsController {
  constructor(private readonly passthrough: PassthroughService) {}

  @Get('find/:instanceName')
  @ApiOperation({ summary: 'Call handling, presence and read-receipt settings' })
  find(@Caller() c: PassthroughCaller, @InstanceName() name: string): Promise<UpstreamAnswer> {
    return this.passthrough.forward(c, name, FORWARDED.findSettings);
  }

  @Post('set/:instanceName')
  @ApiOperation({ summary: 'Update the settings' })
  @ApiBody(legacyBody(example))
  set(@Caller() c: PassthroughCaller, @InstanceName() name: string, @Body() body: unknown): Promise<UpstreamAnswer> {
    return this.passthrough.forward(c, name, FORWARDED.setSettings, body);
  }
}
