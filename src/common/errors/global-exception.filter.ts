import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { fromDatabaseOutage, fromPrismaError } from '@/common/errors/database-errors';
import { AppError } from './app-error';
import { codeForStatus, ErrorBody, errorBody } from './http-status';

interface Rendered {
  body: ErrorBody;
  headers: Record<string, string>;
}

/**
 * The one place errors become HTTP answers: `{statusCode, error, code, message}`, never a stack trace or an upstream
 * body. `code` is the AppError's; an error from outside the gateway's code (Fastify, Nest) gets its status's name.
 */
@Catch()
export class GlobalExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpError');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const reply = ctx.getResponse<FastifyReply>();
    const request = ctx.getRequest<FastifyRequest>();
    const { body, headers } = this.render(exception, request);
    void reply.status(body.statusCode).headers(headers).send(body);
  }

  render(exception: unknown, request?: FastifyRequest): Rendered {
    if (exception instanceof AppError) {
      if (exception.status >= 500) this.logger.warn({ code: exception.code, msg: exception.message }, 'Request failed');
      return {
        body: errorBody(exception.status, exception.code, withRequestId(exception.status, exception.message, request)),
        headers: exception.headers,
      };
    }
    const prisma = fromPrismaError(exception);
    if (prisma) return { body: errorBody(prisma.status, prisma.code, prisma.message), headers: {} };
    const outage = fromDatabaseOutage(exception);
    if (outage) {
      this.logger.warn({ err: exception }, 'Database unavailable');
      return {
        body: errorBody(outage.status, outage.code, withRequestId(outage.status, outage.message, request)),
        headers: outage.headers,
      };
    }
    if (exception instanceof HttpException) return { body: fromHttpException(exception, request), headers: {} };

    const errorId = randomUUID();
    this.logger.error({ err: exception, errorId }, 'Unhandled error');
    return { body: errorBody(500, 'INTERNAL_ERROR', `Internal server error (error id ${errorId})`), headers: {} };
  }
}

/** A failure on the gateway's side names the request, so a tenant can quote it and an operator find it in the log. */
function withRequestId(status: number, message: string, request?: FastifyRequest): string {
  return status >= 500 && request?.id ? `${message} (request id ${request.id})` : message;
}

function fromHttpException(exception: HttpException, request?: FastifyRequest): ErrorBody {
  const status = exception.getStatus();
  if (status === 404 && request && /^Cannot /.test(exception.message)) {
    return errorBody(404, 'ROUTE_NOT_FOUND', `Route ${request.method} ${request.url.split('?')[0]} does not exist`);
  }
  const response = exception.getResponse();
  const raw =
    typeof response === 'object' && response !== null ? (response as { message?: unknown }).message : response;
  const message = Array.isArray(raw) ? raw.join('; ') : typeof raw === 'string' ? raw : exception.message;
  return errorBody(status, codeForStatus(status), message);
}
