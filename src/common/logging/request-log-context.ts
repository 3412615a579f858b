import type { FastifyRequest } from 'fastify';
import type { IncomingMessage } from 'node:http';

/** Kept on the raw request, which is what the request logger (pino-http) sees. */
const LOG_CONTEXT = Symbol('logContext');

export interface RequestLogContext {
  clientId?: number;
  instanceName?: string;
}

type Tagged = IncomingMessage & { [LOG_CONTEXT]?: RequestLogContext };

/**
 * Names the tenant and the instance a request acts on, once authentication knows them, so its "request completed"
 * line carries `clientId` and `instanceName` (from the path or the body) and an operator can follow one tenant.
 */
export function tagRequestLog(request: FastifyRequest, clientId: number): void {
  const params = request.params as Record<string, unknown> | undefined;
  const body = request.body as Record<string, unknown> | undefined;
  const name = params?.instanceName ?? (typeof body === 'object' && body !== null ? body.instanceName : undefined);
  (request.raw as Tagged)[LOG_CONTEXT] = { clientId, ...(typeof name === 'string' ? { instanceName: name } : {}) };
}

/** For pino-http's `customProps`: the tags of the request, if any. */
export function requestLogContext(req: IncomingMessage): RequestLogContext {
  return (req as Tagged)[LOG_CONTEXT] ?? {};
}
