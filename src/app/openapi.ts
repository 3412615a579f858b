import { INestApplication } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';

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
    '...), whether or not a webhook URL is set, plus `bulk.progress` with `{bulk_id, status, sent, failed, pending}`. ' +
    'The server pings every 30 s. Close codes: 1001 server stopping (reconnect), 4401 token no longer valid, 4403 key ' +
    'revoked or client deactivated (checked every 2 s), 4408 client too slow to read its events.',
].join('\n\n');

/** The gateway's OpenAPI document: served at /docs and /docs-json, and the source of the typed client (client/). */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('NextMavens WhatsApp Gateway')
    .setDescription(
      'Multi-tenant WhatsApp API gateway in front of Evolution API. Errors always have the shape ' +
        '`{"statusCode":400,"error":"Bad Request","message":"number: not a valid phone number"}`.\n\n' +
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
  return withDefaultsOptional(SwaggerModule.createDocument(app, config));
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
