import { Body, Controller, Get, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminAuth } from '@/modules/auth/auth-context';
import { AdminAuthenticated, CurrentAdmin } from '@/modules/auth/auth.guards';
import { AdminCreateInstanceDto, CreatedSubInstanceDto, InstanceListQueryDto } from './dto/instance.dto';
import { InstancesService } from './instances.service';

@ApiTags('Admin')
@AdminAuthenticated()
@Controller('api/admin/instances')
export class AdminInstancesController {
  constructor(private readonly instances: InstancesService) {}

  @Get()
  @ApiOperation({ summary: 'Every instance with its client and stored status' })
  list(@Query() query: InstanceListQueryDto) {
    return this.instances.listForOperator(query.client_id, query.limit, query.offset);
  }

  @Post()
  @ApiOperation({ summary: 'Create an instance for a client' })
  @ApiCreatedResponse({ type: CreatedSubInstanceDto })
  create(@CurrentAdmin() admin: AdminAuth, @Body() dto: AdminCreateInstanceDto): Promise<CreatedSubInstanceDto> {
    return this.instances.create(dto.client_id, dto, { actorType: 'admin', actorId: String(admin.adminId) });
  }
}
