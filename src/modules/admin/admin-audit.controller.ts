import { Controller, Get, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ErrorResponseDto } from '@/common/errors/error-response.dto';
import { AuditService } from '@/modules/audit/audit.service';
import { AdminAuthenticated } from '@/modules/auth/auth.guards';
import { AuditQueryDto } from './dto/audit-query.dto';
import { AuditListResponseDto } from './dto/audit-response.dto';

@ApiTags('Admin')
@AdminAuthenticated()
@Controller('api/admin/audit')
export class AdminAuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @ApiOperation({ summary: 'Audit events, newest first: who did what to which client, key or instance' })
  @ApiOkResponse({ type: AuditListResponseDto })
  @ApiBadRequestResponse({ type: ErrorResponseDto, description: 'An invalid filter or cursor' })
  list(@Query() query: AuditQueryDto): Promise<AuditListResponseDto> {
    return this.audit.list({
      clientId: query.client_id,
      action: query.action,
      limit: query.limit,
      beforeId: query.cursor === undefined ? undefined : BigInt(query.cursor),
    });
  }
}
