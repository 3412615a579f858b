import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { WsAdapter } from '@nestjs/platform-ws';
import type { FastifyReply } from 'fastify';
import { Logger } from 'nestjs-pino';
import { parse as parseQuery } from 'node:querystring';
import { ValidationError } from '@/common/errors/app-error';
import { errorBody } from '@/common/errors/http-status';
import { requestId } from '@/common/logging/logger.options';
import { MetricsService } from '@/common/metrics/metrics.service';
import { AppValidationPipe } from '@/common/validation/app-validation.pipe';
import { unsafeInput } from '@/common/validation/input-guard';
import { AppConfig } from '@/config/app-config';
import { EnvSchema } from '@/config/env.schema';
import { AppModule } from './app.module';
import { DEFAULT_DASHBOARD_DIR, registerDashboard } from './dashboard';
import { setupOpenApi } from './openapi';

/** Base64 media rides in JSON bodies: room for the largest media file once encoded, plus the rest of the body. */
function mediaBodyLimit(env: EnvSchema): number {
  return Math.ceil((env.MAX_MEDIA_BYTES * 4) / 3) + 1024 * 1024;
}

/** Routes whose bodies carry media: they alone take MAX_MEDIA_BYTES worth of JSON. */
const MEDIA_ROUTES =
  /^\/(api\/v1\/whatsapp\/send-media|message\/(sendMedia|sendWhatsAppAudio|sendSticker|sendPtv|sendStatus)\/)/;
/** A bulk of 10,000 recipients with their variables. */
const BULK_ROUTES = /^\/api\/v1\/whatsapp\/send-bulk$/;
/** The upstream's webhooks: an inbound message can carry a long text, quoted messages and a thumbnail. */
const UPSTREAM_WEBHOOK_ROUTES = /^\/webhooks\/evolution\//;
/** Login, token exchange and the admin API take a few fields: a large body there is only a way to burn memory. */
const CREDENTIAL_ROUTES = /^\/api\/(login|v1\/auth\/token|admin\/)/;
const BULK_BODY_LIMIT = 8 * 1024 * 1024;
const UPSTREAM_WEBHOOK_BODY_LIMIT = 1024 * 1024;
const CREDENTIAL_BODY_LIMIT = 16 * 1024;
/** Everything else: room for WhatsApp's longest text (65,536 characters of up to 4 bytes each) and its fields. */
const DEFAULT_BODY_LIMIT = 320 * 1024;

/** The body limit of each route, set as Fastify registers it (documented in README, "Body limits"). */
export function bodyLimitFor(url: string, env: EnvSchema): number {
  if (MEDIA_ROUTES.test(url)) return mediaBodyLimit(env);
  if (BULK_ROUTES.test(url)) return BULK_BODY_LIMIT;
  if (UPSTREAM_WEBHOOK_ROUTES.test(url)) return UPSTREAM_WEBHOOK_BODY_LIMIT;
  if (CREDENTIAL_ROUTES.test(url)) return CREDENTIAL_BODY_LIMIT;
  return DEFAULT_BODY_LIMIT;
}

/**
 * JSON and form bodies, as Nest's defaults parse them, except that an empty body sent as JSON is an empty object: many
 * HTTP clients send `Content-Type: application/json` with no body on a POST that needs none (the token exchange,
 * pause, resume), and that is not a malformed body.
 */
function registerBodyParsers(adapter: FastifyAdapter): void {
  const fastify = adapter.getInstance();
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body.toString();
    if (text.trim() === '') return done(null, {});
    // Fastify's error reaches the exception filter without its code; an AppError keeps one.
    void parseJson(request, text, (err, value) =>
      err ? done(new ValidationError(err.message, 'INVALID_JSON'), undefined) : done(null, value),
    );
  });
  fastify.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    done(null, { ...parseQuery(body.toString()) });
  });
}

/** Builds the HTTP application for a validated environment. main.ts and the e2e tests both start here. */
export async function createApp(env: EnvSchema): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: DEFAULT_BODY_LIMIT,
    trustProxy: new AppConfig(env).trustProxy,
    genReqId: requestId,
    // Errors Fastify's router raises before any route runs, in the one error shape (its own would echo the raw path).
    frameworkErrors: (error: { code?: string }, _request: unknown, reply: FastifyReply) => {
      void reply
        .code(400)
        .send(
          error.code === 'FST_ERR_BAD_URL'
            ? errorBody(400, 'INVALID_PATH', 'path: is not a valid URL path (a malformed percent-escape)')
            : errorBody(400, 'BAD_REQUEST', 'request: could not be routed'),
        );
    },
  });
  adapter.getInstance().addHook('onRoute', (route) => {
    route.bodyLimit = bodyLimitFor(route.url, env);
  });
  // The body parsers are the gateway's own (see registerBodyParsers), registered before Nest would add its defaults.
  registerBodyParsers(adapter);
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(env), adapter, {
    bufferLogs: true,
    bodyParser: false,
  });
  app.useLogger(app.get(Logger));
  // `/ws` (EventsGateway) upgrades on the same HTTP server as Fastify's routes.
  app.useWebSocketAdapter(new WsAdapter(app));
  app.useGlobalPipes(new AppValidationPipe());

  const metrics = app.get(MetricsService);
  const fastify = app.getHttpAdapter().getInstance();
  // Before any route's validation: input no validator should see (a body nested thousands of levels deep overflows
  // class-validator's stack) or no column can store (NUL, lone surrogates) is a 400 naming the field.
  fastify.addHook('preValidation', async (request, reply) => {
    const problem =
      unsafeInput(request.body, 'body') ?? unsafeInput(request.query, 'query') ?? unsafeInput(request.params, 'path');
    if (problem) return reply.code(400).send(errorBody(400, 'VALIDATION_FAILED', problem));
  });
  // A response finishing after shutdown began closes its connection; a kept-alive one would hold the server open
  // for the server's whole keep-alive timeout.
  let closing = false;
  fastify.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  fastify.addHook('onSend', (request, reply, payload, done) => {
    void reply.header('X-Request-Id', request.id);
    if (closing) void reply.header('Connection', 'close');
    done(null, payload);
  });
  fastify.addHook('onResponse', async (request, reply) => {
    metrics.httpRequestDuration.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });

  setupOpenApi(app);
  if (env.APP_ROLE !== 'worker') await registerDashboard(fastify, env.DASHBOARD_DIR ?? DEFAULT_DASHBOARD_DIR);
  await app.init();
  return app;
}
