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

/**
 * The code of an error that carries none of its own (raised by Fastify or Nest before any gateway code ran, such as
 * a body over its limit or an unsupported content type): the status's name, e.g. 413 → PAYLOAD_TOO_LARGE.
 */
export function codeForStatus(statusCode: number): string {
  if (statusCode === 500) return 'INTERNAL_ERROR';
  const name = STATUS_CODES[statusCode];
  return name ? name.toUpperCase().replace(/[^A-Z0-9]+/g, '_') : 'ERROR';
}
