import { RequestMethod } from '@nestjs/common';
import type { Params } from 'nestjs-pino';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { LogLevel } from '@/config/env.schema';
import { requestLogContext } from './request-log-context';

export const REQUEST_ID_HEADER = 'x-request-id';

/**
 * Paths pino blanks out. Credentials, message content and phone numbers never reach the logs.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.apikey',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.apikey',
  '*.api_key',
  '*.apiKey',
  '*.token',
  '*.password',
  '*.hash',
  '*.webhook_secret',
  '*.number',
  '*.numbers',
  '*.recipients',
  '*.text',
  '*.caption',
  '*.media',
];

/** Query values may carry phone numbers (`?number=`); the path is enough to read a log line. */
export function redactUrl(url: string | undefined): string | undefined {
  if (!url) return url;
  const [path, query] = url.split('?', 2);
  if (!query) return path;
  const keys = query.split('&').map((pair) => `${pair.split('=')[0]}=[Redacted]`);
  return `${path}?${keys.join('&')}`;
}

/** Honours a caller's X-Request-Id when it looks sane; otherwise a new UUID. Fastify assigns it; responses echo it. */
export function requestId(req: IncomingMessage): string {
  const given = req.headers[REQUEST_ID_HEADER];
  return typeof given === 'string' && /^[A-Za-z0-9._:-]{1,100}$/.test(given) ? given : randomUUID();
}

/**
 * Pretty single-line logs for a person at a terminal, when the development-only `pino-pretty` is installed: the
 * production image has no dev dependencies, and `docker run -t` gives it a terminal too.
 */
export function wantsPrettyLogs(isTTY: boolean, resolve: (id: string) => string = require.resolve): boolean {
  if (!isTTY) return false;
  try {
    resolve('pino-pretty');
    return true;
  } catch {
    return false;
  }
}

export function loggerParams(level: LogLevel, pretty: boolean): Params {
  return {
    // The upstream's webhooks (four per message sent) are routine traffic: a request logger of their own for each
    // would cost more than handling them; the receiver logs what an operator needs.
    exclude: [{ method: RequestMethod.POST, path: 'webhooks/evolution/*path' }],
    pinoHttp: {
      level,
      redact: { paths: REDACT_PATHS, censor: '[Redacted]' },
      customProps: (req) => ({ ...requestLogContext(req) }),
      quietReqLogger: true,
      serializers: {
        req: (req: { id: string; method: string; url: string }) => ({
          id: req.id,
          method: req.method,
          url: redactUrl(req.url),
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      // Liveness and metrics scrapes would drown everything else.
      autoLogging: { ignore: (req) => /^\/(health|metrics)/.test(req.url ?? '') },
      transport: pretty ? { target: 'pino-pretty', options: { singleLine: true } } : undefined,
    },
  };
}
