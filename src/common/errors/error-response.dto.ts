import { applyDecorators } from '@nestjs/common';
import {
  ApiBadGatewayResponse,
  ApiDefaultResponse,
  ApiGatewayTimeoutResponse,
  ApiProperty,
  ApiServiceUnavailableResponse,
} from '@nestjs/swagger';
import { ErrorBody } from './http-status';

/** The one error body of the whole API, as GlobalExceptionFilter renders it, for the OpenAPI document. */
export class ErrorResponseDto implements ErrorBody {
  @ApiProperty({ type: 'integer', example: 400, description: 'The HTTP status, repeated' })
  statusCode!: number;

  @ApiProperty({ example: 'Bad Request', description: 'The name of the HTTP status' })
  error!: string;

  @ApiProperty({
    example: 'VALIDATION_FAILED',
    description: 'Stable, machine-readable code: branch on it, not on message (docs/errors.md lists every code)',
  })
  code!: string;

  @ApiProperty({
    example: 'number: not a valid phone number',
    description: 'What went wrong, naming the field when a field is at fault; a 5xx names the request id',
  })
  message!: string;
}

/** The error answers every route can give besides those it lists. */
export const ApiOtherErrors = () =>
  ApiDefaultResponse({
    type: ErrorResponseDto,
    description: 'Any other error: 500, or 503 with Retry-After while the database is unreachable',
  });

/** A route that calls the WhatsApp server: the failures the Evolution client maps to gateway errors. */
export const ApiUpstreamErrors = () =>
  applyDecorators(
    ApiBadGatewayResponse({
      type: ErrorResponseDto,
      description: 'The WhatsApp server failed, cannot be reached, or refused the gateway’s credentials',
    }),
    ApiGatewayTimeoutResponse({ type: ErrorResponseDto, description: 'The WhatsApp server did not answer in time' }),
    ApiUpstreamDownResponse(),
  );

/** 503 for a call to an instance whose WhatsApp server is down (also the database outage every route may answer). */
export const ApiUpstreamDownResponse = () =>
  ApiServiceUnavailableResponse({
    type: ErrorResponseDto,
    description:
      '`UPSTREAM_DOWN`: the WhatsApp server the instance is on is down, and its calls are refused at once until it ' +
      'answers again (other instances are not affected); `NO_UPSTREAM_CAPACITY` on a create: no server can take a ' +
      'new instance; or `DATABASE_UNAVAILABLE`. With Retry-After where a wait is known',
  });
