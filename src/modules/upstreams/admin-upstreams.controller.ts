import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { ErrorResponseDto } from '@/common/errors/error-response.dto';
import { ParsePositiveIdPipe } from '@/common/validation/parse-positive-id.pipe';
import { AdminAuthenticated, CurrentAdmin } from '@/modules/auth/auth.guards';
import { AdminAuth } from '@/modules/auth/auth-context';
import { CreateUpstreamDto, UpdateUpstreamDto, UpstreamListResponseDto, UpstreamResponseDto } from './dto/upstream.dto';
import { UpstreamsService } from './upstreams.service';

const upstreamId = new ParsePositiveIdPipe('id');
const invalid = () => ApiBadRequestResponse({ type: ErrorResponseDto, description: 'A missing or invalid field' });
const unknownUpstream = () => ApiNotFoundResponse({ type: ErrorResponseDto, description: 'No such upstream' });
const notAnswering = () =>
  ApiUnprocessableEntityResponse({
    type: ErrorResponseDto,
    description: 'The server at `url` does not answer as an Evolution API server, or rejects `api_key`',
  });

/** The pool of Evolution API servers behind the gateway (operators only). */
@ApiTags('Admin')
@AdminAuthenticated()
@Controller('api/admin/upstreams')
export class AdminUpstreamsController {
  constructor(private readonly upstreams: UpstreamsService) {}

  @Post()
  @ApiOperation({
    summary: 'Add an Evolution API server to the pool; it must answer with the key given, which is never shown again',
  })
  @ApiCreatedResponse({ type: UpstreamResponseDto })
  @invalid()
  @notAnswering()
  @ApiConflictResponse({ type: ErrorResponseDto, description: 'An upstream of this name exists' })
  create(@CurrentAdmin() admin: AdminAuth, @Body() dto: CreateUpstreamDto): Promise<UpstreamResponseDto> {
    return this.upstreams.create(admin, dto);
  }

  @Get()
  @ApiOperation({ summary: 'The pool: each upstream with its load, its state and its last error' })
  @ApiOkResponse({ type: UpstreamListResponseDto })
  list(): Promise<UpstreamListResponseDto> {
    return this.upstreams.list();
  }

  @Get(':id')
  @ApiOkResponse({ type: UpstreamResponseDto })
  @invalid()
  @unknownUpstream()
  get(@Param('id', upstreamId) id: number): Promise<UpstreamResponseDto> {
    return this.upstreams.get(id);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change capacity, drain (no new instances), or a new URL or key of the same server' })
  @ApiOkResponse({ type: UpstreamResponseDto })
  @invalid()
  @unknownUpstream()
  @notAnswering()
  update(
    @CurrentAdmin() admin: AdminAuth,
    @Param('id', upstreamId) id: number,
    @Body() dto: UpdateUpstreamDto,
  ): Promise<UpstreamResponseDto> {
    return this.upstreams.update(admin, id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove an upstream that holds no live instance (the pool keeps at least one)' })
  @ApiNoContentResponse({ description: 'Removed' })
  @invalid()
  @unknownUpstream()
  @ApiConflictResponse({ type: ErrorResponseDto, description: 'It still holds live instances, or it is the last one' })
  remove(@CurrentAdmin() admin: AdminAuth, @Param('id', upstreamId) id: number): Promise<void> {
    return this.upstreams.remove(admin, id);
  }
}
