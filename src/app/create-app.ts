import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { WsAdapter } from '@nestjs/platform-ws';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Logger } from 'nestjs-pino';
import { parse as parseQuery } from 'node:querystring';
import { ValidationError } from '@/common/errors/app-error';
import { errorBody, ErrorResponse } from '@/common/errors/http-status';
import { requestId } from '@/common/logging/logger.options';
import { MetricsService } from '@/common/metrics/metrics.service';
import { AppValidationPipe } from '@/common/validation/app-validation.pipe';
import { unsafeInput } from '@/common/validation/input-guard';
import { AppConfig } from '@/config/app-config';
import { EnvSchema } from '@/config/env.schema';
import { AppModule } from './app.module';

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
  await app.init();
  return app;
}

/** `/ws` is not an HTTP route Swagger can describe, so the document's description carries it (docs/websocket.md). */
const LIVE_EVENTS_DESCRIPTION = [
  '## Live events: `GET /ws` (WebSocket)',
  'Connect with a WebSocket to `/ws` instead of polling. Authenticate as on the HTTP API: the `apikey` header (a ' +
    'client key sees its instances, an instance key that instance), `Authorization: Bearer <JWT>` (a reseller token ' +
    "sees its client's instances, an admin token every instance), or `?access_token=<JWT>` for browsers. A missing " +
    'or bad credential refuses the upgrade with the usual HTTP error (401, or 403 for an unknown, revoked or ' +
    'deactivated key) before any WebSocket opens. `?instance=<name>` narrows the socket to one instance.',
  'Each message is one JSON event `{"event", "instance", "data", "date_time"}` with the event names and data of the ' +
    'tenant webhooks (`connection.update`, `qrcode.updated`, `messages.update`, `messages.upsert`, `send.message`, ' +
    '`optout.update` with `{number, opted_out, keyword, instance}` when an inbound STOP or START changed the ' +
    'opt-out list, ...), whether or not a webhook URL is set, plus `bulk.progress` with ' +
    '`{bulk_id, status, sent, failed, pending}`. ' +
    'The server pings every 30 s. Close codes: 1001 server stopping (reconnect), 4401 token no longer valid, 4403 key ' +
    'revoked or client deactivated (checked every 2 s), 4408 client too slow to read its events.',
].join('\n\n');

/** The codes a client most often branches on; docs/errors.md lists them all. */
const ERROR_CODES_DESCRIPTION =
  'Common codes: `VALIDATION_FAILED`, `INVALID_NUMBER` (400); `UNAUTHORIZED`, `INVALID_TOKEN`, `TOKEN_EXPIRED` ' +
  '(401); `INVALID_API_KEY`, `API_KEY_REVOKED`, `CLIENT_DEACTIVATED`, `CLIENT_KEY_REQUIRED`, `OPTED_OUT` (403); ' +
  '`ROUTE_NOT_FOUND`, `INSTANCE_NOT_FOUND`, `BULK_NOT_FOUND`, `OPT_OUT_NOT_FOUND` (404); ' +
  '`UPSTREAM_CONNECTION_CLOSED`, `IDEMPOTENCY_IN_PROGRESS` (409); `PAYLOAD_TOO_LARGE` (413); `RATE_LIMITED`, ' +
  '`INSTANCE_PACING`, `DAILY_CAP_REACHED` (429); `INTERNAL_ERROR` (500); `UPSTREAM_ERROR`, `UPSTREAM_UNREACHABLE` ' +
  '(502); `DATABASE_UNAVAILABLE` (503); `UPSTREAM_TIMEOUT` (504).';

type OpenApiDocument = ReturnType<typeof SwaggerModule.createDocument>;

/** Every 4xx and 5xx answer the document lists without a body of its own has the one error body. */
function withErrorSchema(document: OpenApiDocument): OpenApiDocument {
  const schema = { $ref: '#/components/schemas/ErrorResponse' };
  for (const operations of Object.values(document.paths)) {
    for (const operation of Object.values(operations as Record<string, { responses?: Record<string, object> }>)) {
      for (const [status, response] of Object.entries(operation?.responses ?? {})) {
        if (Number(status) >= 400 && !('content' in response))
          Object.assign(response, { content: { 'application/json': { schema } } });
      }
    }
  }
  return document;
}

function setupOpenApi(app: NestFastifyApplication): void {
  const config = new DocumentBuilder()
    .setTitle('NextMavens WhatsApp Gateway')
    .setDescription(
      'Multi-tenant WhatsApp API gateway in front of Evolution API. Errors always have the shape ' +
        '`{"statusCode":403,"error":"Forbidden","code":"OPTED_OUT","message":"254712345678 has opted out ..."}` ' +
        '(schema `ErrorResponse`): `code` is stable and machine-readable. ' +
        ERROR_CODES_DESCRIPTION +
        '\n\n' +
        LIVE_EVENTS_DESCRIPTION,
    )
    .setVersion('1.0')
    .addApiKey(
      { type: 'apiKey', in: 'header', name: 'apikey', description: 'Client, instance or master API key' },
      'apikey',
    )
    .addBearerAuth(
      { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'Reseller JWT from POST /api/v1/auth/token' },
      'reseller-jwt',
    )
    .addBearerAuth(
      { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'Admin JWT from POST /api/login' },
      'admin-jwt',
    )
    .build();
  const document = withErrorSchema(SwaggerModule.createDocument(app, config, { extraModels: [ErrorResponse] }));
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
}
