import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Observable } from 'rxjs';
import { map } from 'rxjs/operators';
import { OBJECT_OBJECT } from '@/integrations/evolution/evolution.error-mapper';

/** What a pass-through route answers: the upstream's status and body, cleaned. */
export interface UpstreamAnswer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export const REDACTED = '[redacted]';

/**
 * A copy of an upstream body that is safe to hand a tenant: every occurrence of a secret the gateway holds (the
 * upstream's global key, the instance's token) is replaced, and, in an error body (when `explanation` is given), any
 * text the upstream reduced to "[object Object]" becomes `explanation`. Success bodies keep such text: it may be what
 * the user wrote.
 */
export function cleanUpstreamBody(body: unknown, secrets: readonly string[], explanation?: string): unknown {
  const known = secrets.filter((s) => s.length >= 8);
  const walk = (value: unknown): unknown => {
    if (typeof value === 'string') {
      if (explanation !== undefined && value.includes(OBJECT_OBJECT)) return explanation;
      return known.reduce((text, secret) => text.split(secret).join(REDACTED), value);
    }
    if (Array.isArray(value)) return value.map(walk);
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, walk(v)]));
    }
    return value;
  };
  return walk(body);
}

/**
 * Only the listed query parameters reach the upstream: its `dataValidate` merges the query into the instance DTO
 * (contract §0), so a tenant's `?instanceName=` or `?instanceId=` must never pass.
 */
export function pickQuery(
  query: Record<string, unknown> | undefined,
  allowed: readonly string[] = [],
): Record<string, string> | undefined {
  if (!query || allowed.length === 0) return undefined;
  const picked = Object.fromEntries(
    allowed.flatMap((name) => {
      const value = query[name];
      return typeof value === 'string' ? [[name, value]] : [];
    }),
  );
  return Object.keys(picked).length > 0 ? picked : undefined;
}

/**
 * Pass-through handlers return an UpstreamAnswer; this puts its status (and headers) on the reply and sends its body,
 * so the upstream's status reaches the caller whatever the route's method.
 */
@Injectable()
export class UpstreamAnswerInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    return next.handle().pipe(
      map((answer: UpstreamAnswer) => {
        void reply.status(answer.status);
        if (answer.headers) void reply.headers(answer.headers);
        return answer.body;
      }),
    );
  }
}
