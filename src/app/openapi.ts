import { INestApplication } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { ErrorResponseDto } from '@/common/errors/error-response.dto';

/** `/ws` is not an HTTP route Swagger can describe, so the document's description carries it (docs/websocket.md). */
const LIVE_EVENTS_DESCRIPTION = [
  '## Live events: `GET /ws` (WebSocket)',
  'Connect with a WebSocket to `/ws` instead of polling. Authenticate as on the HTTP API: the `apikey` header (a ' +
    'client key sees its instances, an instance key that instance), `Authorization: Bearer <JWT>` (a reseller token ' +
    "sees its client's instances, an admin token every instance), or `?access_token=<JWT>` for browsers. A missing " +
    'or bad credential refuses the upgrade with 401 in the usual error shape before any WebSocket opens, whatever ' +
    'the credential: an unknown, revoked or deactivated key too (the HTTP routes answer those 403), with the same ' +
    '`code` (`INVALID_API_KEY`, `API_KEY_REVOKED`, `CLIENT_DEACTIVATED`). `?instance=<name>` narrows the socket to ' +
    'one instance.',
  'Each message is one JSON event `{"event", "instance", "data", "date_time"}` with the event names and data of the ' +
    'tenant webhooks (`connection.update`, `qrcode.updated`, `messages.update`, `messages.upsert`, `send.message`, ' +
    '`optout.update` with `{number, opted_out, keyword, instance}` when an inbound STOP or START changed the ' +
    'opt-out list, `instance.restricted` with `{state, reason, status_reason, message, restricted_at}` when WhatsApp ' +
    'logged the number out, banned or refused it, ...), whether or not a webhook URL is set, plus `bulk.progress` with ' +
    '`{bulk_id, status, sent, failed, pending}`. ' +
    'The server pings every 30 s (WS_PING_INTERVAL_MS). Close codes: 1001 server stopping (reconnect), 4401 token no longer valid, 4403 key ' +
    'revoked or client deactivated (checked every 2 s), 4408 client too slow to read its events.',
].join('\n\n');

/** The codes a client most often branches on; docs/errors.md lists them all. */
const ERROR_CODES_DESCRIPTION =
  'Common codes: `VALIDATION_FAILED`, `INVALID_NUMBER` (400); `UNAUTHORIZED`, `INVALID_TOKEN`, `TOKEN_EXPIRED` ' +
  '(401); `INVALID_API_KEY`, `API_KEY_REVOKED`, `CLIENT_DEACTIVATED`, `CLIENT_KEY_REQUIRED`, `OPTED_OUT` (403); ' +
  '`ROUTE_NOT_FOUND`, `INSTANCE_NOT_FOUND`, `BULK_NOT_FOUND`, `OPT_OUT_NOT_FOUND` (404); ' +
  '`UPSTREAM_CONNECTION_CLOSED`, `INSTANCE_RESTRICTED`, `IDEMPOTENCY_IN_PROGRESS` (409); `PAYLOAD_TOO_LARGE` (413); `RATE_LIMITED`, ' +
  '`INSTANCE_PACING`, `DAILY_CAP_REACHED` (429); `INTERNAL_ERROR` (500); `UPSTREAM_ERROR`, `UPSTREAM_UNREACHABLE` ' +
  '(502); `DATABASE_UNAVAILABLE`, `UPSTREAM_DOWN`, `NO_UPSTREAM_CAPACITY` (503); `UPSTREAM_TIMEOUT` (504).';

/** The gateway's OpenAPI document: served at /docs and /docs-json, and the source of the typed client (client/). */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('NextMavens WhatsApp Gateway')
    .setDescription(
      'Multi-tenant WhatsApp API gateway in front of Evolution API. Errors always have the shape ' +
        '`{"statusCode":403,"error":"Forbidden","code":"OPTED_OUT","message":"254712345678 has opted out ..."}` ' +
        '(schema `ErrorResponseDto`): `code` is stable and machine-readable. ' +
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
  const document = SwaggerModule.createDocument(app, config, { extraModels: [ErrorResponseDto] });
  return withErrorSchema(withDefaultsOptional(document));
}

/** Every 4xx and 5xx answer the document lists without a body of its own has the one error body. */
function withErrorSchema(document: OpenAPIObject): OpenAPIObject {
  const schema = { $ref: '#/components/schemas/ErrorResponseDto' };
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

/**
 * A field with a default need not be sent: Swagger lists every `@ApiProperty` as required unless told otherwise,
 * which would make generated clients demand `integration`, `qrcode` or `enabled` on every call.
 */
function withDefaultsOptional(document: OpenAPIObject): OpenAPIObject {
  for (const schema of Object.values(document.components?.schemas ?? {})) {
    if (!('properties' in schema) || !schema.properties || !schema.required) continue;
    const properties = schema.properties;
    schema.required = schema.required.filter((name) => {
      const property = properties[name];
      return !(property && 'default' in property && property.default !== undefined);
    });
    if (schema.required.length === 0) delete schema.required;
  }
  return document;
}

export function setupOpenApi(app: NestFastifyApplication): void {
  SwaggerModule.setup('docs', app, buildOpenApiDocument(app), { jsonDocumentUrl: 'docs-json' });
}
