import { ApiProperty } from '@nestjs/swagger';
import { STATUS_CODES } from 'node:http';

/** The one error body of the whole API: `code` is the machine-readable id (README, "Error codes"). */
export interface ErrorBody {
  statusCode: number;
  error: string;
  code: string;
  message: string;
}

export function errorBody(statusCode: number, code: string, message: string): ErrorBody {
  return { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', code, message };
}

/** The error body as the OpenAPI document describes it (schema `ErrorResponse`). */
export class ErrorResponse implements ErrorBody {
  @ApiProperty({ example: 403 }) statusCode!: number;
  @ApiProperty({ example: 'Forbidden', description: 'The status’s name' }) error!: string;
  @ApiProperty({
    example: 'OPTED_OUT',
    description: 'Stable, machine-readable code: branch on it, not on message (docs/errors.md lists every code)',
  })
  code!: string;
  @ApiProperty({ example: '254712345678 has opted out of messages from this account; ...' }) message!: string;
}

/**
 * The code of an error that carries none of its own (raised by Fastify or Nest before any gateway code ran, such as
 * a body over its limit or an unsupported content type): the status's name, e.g. 413 → PAYLOAD_TOO_LARGE.
 */
export function codeForStatus(statusCode: number): string {
  if (statusCode === 500) return 'INTERNAL_ERROR';
  const name = STATUS_CODES[statusCode];
  return name ? name.toUpperCase().replace(/[^A-Z0-9]+/g, '_') : 'ERROR';
}
