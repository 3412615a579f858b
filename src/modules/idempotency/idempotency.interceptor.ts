import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';
import { from, Observable, of } from 'rxjs';
import { catchError, mergeMap } from 'rxjs/operators';
import { ConflictError, UnprocessableError, ValidationError } from '@/common/errors/app-error';
import { errorBody } from '@/common/errors/http-status';
import { AppConfig } from '@/config/app-config';
import { EvolutionError } from '@/integrations/evolution/evolution.errors';
import { ClientAuth } from '@/modules/auth/auth-context';
import { IdempotencyRepository } from './idempotency.repository';

export const IDEMPOTENCY_HEADER = 'idempotency-key';
const TTL_MS = 24 * 3600 * 1000;
const KEY_FORMAT = /^[\x21-\x7e]{1,255}$/;

/** JSON with sorted keys, so the same body written in another key order hashes the same. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * `Idempotency-Key` on send routes: the same key and body within 24 hours replays the first success without sending
 * again; the same key with another body is a 422; a key whose first request is still running is a 409 (a key left in
 * progress by a process that died is taken over once no request could still be running). A failed request releases
 * its key, so the client may retry with it, except one whose outcome is unknown (an upstream timeout: the message may
 * have gone): its answer is kept and replayed, so a retry cannot send the message twice.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    private readonly repository: IdempotencyRepository,
    private readonly reflector: Reflector,
    private readonly config: AppConfig,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest & { clientAuth?: ClientAuth }>();
    const reply = http.getResponse<FastifyReply>();
    const header = request.headers[IDEMPOTENCY_HEADER];
    if (header === undefined || !request.clientAuth) return next.handle();
    if (typeof header !== 'string' || !KEY_FORMAT.test(header)) {
      throw new ValidationError('Idempotency-Key: must be 1-255 visible ASCII characters');
    }
    const clientId = request.clientAuth.clientId;
    const successStatus = this.reflector.get<number>(HTTP_CODE_METADATA, context.getHandler()) ?? 201;
    const hash = createHash('sha256')
      .update(`${request.method} ${request.url}\n${canonical(request.body)}`)
      .digest('hex');
    const now = new Date();

    const abandonedBefore = new Date(now.getTime() - this.config.sendRequestDeadlineMs);
    return from(
      this.repository.claimForClient(clientId, header, hash, new Date(now.getTime() + TTL_MS), now, abandonedBefore),
    ).pipe(
      mergeMap((claim) => {
        if (claim !== 'claimed') {
          if (claim.requestHash !== hash) {
            throw new UnprocessableError(
              'Idempotency-Key was already used with a different request',
              'IDEMPOTENCY_KEY_REUSED',
            );
          }
          if (claim.responseStatus === null) {
            throw new ConflictError(
              'A request with this Idempotency-Key is still being processed',
              'IDEMPOTENCY_IN_PROGRESS',
            );
          }
          void reply.status(claim.responseStatus).header('Idempotent-Replayed', 'true');
          return of(claim.responseBody);
        }
        return next.handle().pipe(
          mergeMap(async (body: unknown) => {
            // A handler may answer another success status than its route's (a scheduled send's 202).
            const status = reply.statusCode >= 200 && reply.statusCode < 300 ? reply.statusCode : successStatus;
            await this.repository.completeForClient(clientId, header, status, body as never);
            return body;
          }),
          catchError(async (err: unknown) => {
            if (err instanceof EvolutionError && err.outcomeUnknown) {
              await this.repository.completeForClient(
                clientId,
                header,
                err.status,
                errorBody(err.status, err.code, err.message) as never,
              );
            } else {
              await this.repository.releaseForClient(clientId, header);
            }
            throw err;
          }),
        );
      }),
    );
  }
}
