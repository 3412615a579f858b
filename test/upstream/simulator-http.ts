import { IncomingMessage, ServerResponse, STATUS_CODES } from 'node:http';

/** What a route handler answers; `body: undefined` sends an empty body (Express `res.json(undefined)`). */
export interface SimResponse {
  status: number;
  body: unknown;
}

/** Thrown by handlers; rendered verbatim (status + body), like the upstream's global error handler. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`HTTP ${status}`);
  }
}

export function reasonPhrase(status: number): string {
  return STATUS_CODES[status] ?? 'Unknown';
}

/** contract §0: every thrown error is rendered as `{status, error, response: {message}}`. */
export function envelope(status: number, message: unknown, error = reasonPhrase(status)): Record<string, unknown> {
  return { status, error, response: { message } };
}

/** contract §0: exception classes put their constructor args in an array, so one arg renders as `["x"]`. */
export function badRequest(...messages: unknown[]): HttpError {
  return new HttpError(400, envelope(400, messages));
}

/** contract §1: a bare `UnauthorizedException()` renders its message as the string "Unauthorized". */
export function unauthorized(): HttpError {
  return new HttpError(401, envelope(401, 'Unauthorized'));
}

export function forbidden(...messages: unknown[]): HttpError {
  return new HttpError(403, envelope(403, messages));
}

export function notFound(...messages: unknown[]): HttpError {
  return new HttpError(404, envelope(404, messages));
}

/** contract §0: non-exception errors (TypeError, Baileys Boom) render as 500 with a *string* message. */
export function internalError(message: string): HttpError {
  return new HttpError(500, envelope(500, message, 'Internal Server Error'));
}

/** contract §3: catch blocks that wrap with an explicit 500 exception keep the array form. */
export function internalErrorList(...messages: unknown[]): HttpError {
  return new HttpError(500, envelope(500, messages));
}

export function ok(body: unknown): SimResponse {
  return { status: 200, body };
}

export function created(body: unknown): SimResponse {
  return { status: 201, body };
}

const MAX_BODY_BYTES = 136 * 1024 * 1024; // contract §0: json({limit:'136mb'})

export function readRawBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new HttpError(413, envelope(413, 'request entity too large', 'Internal Server Error')));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * Mirrors Express' body parsers: JSON only for a JSON content type (strict: top level must be an
 * object or array), urlencoded for forms, `{}` for anything else.
 * contract §11: malformed JSON → 400 with `"error":"Internal Server Error"` and a string message.
 */
export function parseBody(raw: Buffer, contentType: string | undefined): unknown {
  const type = (contentType ?? '').toLowerCase();
  const text = raw.toString('utf8');
  if (type.includes('json')) return parseJson(text);
  if (type.includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(text));
  return {};
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return {};
  const first = text.trimStart()[0];
  if (first !== '{' && first !== '[') {
    throw malformedJson(`Unexpected token '${first ?? ''}', "${text.slice(0, 20)}" is not valid JSON`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw malformedJson(err instanceof Error ? err.message : String(err));
  }
}

function malformedJson(message: string): HttpError {
  return new HttpError(400, envelope(400, message, 'Internal Server Error'));
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const payload = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    // contract §7: the upstream runs with CORS_ORIGIN=* (default methods POST,GET,PUT,DELETE).
    'access-control-allow-origin': '*',
    'access-control-allow-methods': 'POST,GET,PUT,DELETE',
    'access-control-allow-headers': '*',
  });
  res.end(payload);
}

/** Plain-object view of a parsed body (arrays and scalars have no named fields). */
export function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

export function stringField(obj: Record<string, unknown>, key: string): string | undefined {
  const value = obj[key];
  return typeof value === 'string' ? value : undefined;
}

export function booleanField(obj: Record<string, unknown>, key: string): boolean | undefined {
  const value = obj[key];
  return typeof value === 'boolean' ? value : undefined;
}

export function numberField(obj: Record<string, unknown>, key: string): number | undefined {
  const value = obj[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}
