import { Controller, Get, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuditService } from '@/modules/audit/audit.service';
import { AdminAuthenticated } from '@/modules/auth/auth.guards';
import { AuditQueryDto } from './dto/audit-query.dto';

@ApiTags('Admin')
@AdminAuthenticated()
@Controller('api/admin/audit')
export class AdminAuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @ApiOperation({ summary: 'Audit events, newest first: who did what to which client, key or instance' })
  list(@Query() query: AuditQueryDto) {
    return this.audit.list({
      clientId: query.client_id,
      action: query.action,
      limit: query.limit,
      beforeId: query.cursor === undefined ? undefined : BigInt(query.cursor),
    });
  }
}
