import { Body, Delete, Get, Post, Put, Query } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiQuery } from '@nestjs/swagger';
import { LegacyCreateInstanceDto } from './dto/create-instance.dto';
import { legacyDtoBody } from './dto/passthrough-docs.dto';
import { PassthroughService } from './passthrough.service';
import { Caller, InstanceName, PassthroughCaller, PassthroughController } from './passthrough-auth.guard';
import { PassthroughInstancesService } from './passthrough-instances.service';
import { FORWARDED } from './passthrough-routes';
import { UpstreamAnswer } from './upstream-answer';

type QueryParams = Record<string, unknown>;

@PassthroughController('instance')
export class PassthroughInstanceController {
  constructor(
    private readonly passthrough: PassthroughService,
    private readonly instances: PassthroughInstancesService,
  ) {}

  @Post('create')
  @ApiOperation({
    summary: 'Create an instance (the reference’s quick start)',
    description:
      'A client key creates for its client, with the reseller rules; the master key names the client in `client_id`. ' +
      'Answers the upstream’s create shape, with `hash.apikey` = the new instance’s API key (shown once) and `webhook_secret`.',
  })
  @ApiBody(
    legacyDtoBody(LegacyCreateInstanceDto, {
      instanceName: 'mycompany-sales',
      integration: 'WHATSAPP-BAILEYS',
      qrcode: true,
      number: '',
      token: 'optional-custom-token',
    }),
  )
  @ApiCreatedResponse({ description: 'The upstream’s create shape; `hash` is `{apikey}`' })
  create(@Caller() caller: PassthroughCaller, @Body() body: LegacyCreateInstanceDto): Promise<UpstreamAnswer> {
    return this.instances.create(caller, body);
  }

  @Get('fetchInstances')
  @ApiOperation({ summary: 'The caller’s instances, in the upstream’s row shape, without upstream tokens' })
  @ApiQuery({ name: 'instanceName', required: false })
  @ApiQuery({ name: 'instanceId', required: false })
  @ApiOkResponse({ description: 'Array of instance rows' })
  fetchInstances(@Caller() caller: PassthroughCaller, @Query() query: QueryParams): Promise<UpstreamAnswer> {
    return this.instances.fetchInstances(caller, query);
  }

  @Get('connect/:instanceName')
  @ApiOperation({ summary: 'QR code to (re)connect; the state when already open' })
  @ApiQuery({ name: 'number', required: false, description: 'Phone number for a pairing code' })
  connect(
    @Caller() caller: PassthroughCaller,
    @InstanceName() name: string,
    @Query() query: QueryParams,
  ): Promise<UpstreamAnswer> {
    return this.passthrough.forward(caller, name, FORWARDED.connect, undefined, query);
  }

  @Get('connectionState/:instanceName')
  @ApiOperation({ summary: 'Connection state: open, connecting, close or refused' })
  connectionState(@Caller() caller: PassthroughCaller, @InstanceName() name: string): Promise<UpstreamAnswer> {
    return this.passthrough.forward(caller, name, FORWARDED.connectionState);
  }

  @Put('restart/:instanceName')
  @ApiOperation({ summary: 'Restart the instance (PUT as in the reference; POST upstream)' })
  restartPut(@Caller() caller: PassthroughCaller, @InstanceName() name: string): Promise<UpstreamAnswer> {
    return this.passthrough.forward(caller, name, FORWARDED.restart);
  }

  @Post('restart/:instanceName')
  @ApiOperation({ summary: 'Restart the instance (the upstream’s method)' })
  restartPost(@Caller() caller: PassthroughCaller, @InstanceName() name: string): Promise<UpstreamAnswer> {
    return this.passthrough.forward(caller, name, FORWARDED.restart);
  }

  @Put('logout/:instanceName')
  @ApiOperation({ summary: 'Log out, removing the WhatsApp session (PUT as in the reference; DELETE upstream)' })
  logoutPut(@Caller() caller: PassthroughCaller, @InstanceName() name: string): Promise<UpstreamAnswer> {
    return this.passthrough.forward(caller, name, FORWARDED.logout);
  }

  @Delete('logout/:instanceName')
  @ApiOperation({ summary: 'Log out, removing the WhatsApp session (the upstream’s method)' })
  logoutDelete(@Caller() caller: PassthroughCaller, @InstanceName() name: string): Promise<UpstreamAnswer> {
    return this.passthrough.forward(caller, name, FORWARDED.logout);
  }

  @Delete('delete/:instanceName')
  @ApiOperation({
    summary: 'Delete the instance upstream and in the gateway; its message logs stay, its keys stop working',
  })
  remove(@Caller() caller: PassthroughCaller, @InstanceName() name: string): Promise<UpstreamAnswer> {
    return this.instances.remove(caller, name);
  }
}
