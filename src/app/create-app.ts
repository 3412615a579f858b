import { ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { toValidationError } from '@/common/errors/validation-errors';
import { requestId } from '@/common/logging/logger.options';
import { MetricsService } from '@/common/metrics/metrics.service';
import { AppConfig } from '@/config/app-config';
import { EnvSchema } from '@/config/env.schema';
import { AppModule } from './app.module';

/** Base64 media rides in JSON bodies: room for the largest media file once encoded, plus the rest of the body. */
function bodyLimit(env: EnvSchema): number {
  return Math.ceil((env.MAX_MEDIA_BYTES * 4) / 3) + 1024 * 1024;
}

/** Builds the HTTP application for a validated environment. main.ts and the e2e tests both start here. */
export async function createApp(env: EnvSchema): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({ bodyLimit: bodyLimit(env), trustProxy: new AppConfig(env).trustProxy, genReqId: requestId });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(env), adapter, { bufferLogs: true });
  app.useLogger(app.get(Logger));
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      // One problem per field is clearer than every constraint that a wrong type also breaks.
      stopAtFirstError: true,
      exceptionFactory: toValidationError,
    }),
  );

  const metrics = app.get(MetricsService);
  const fastify = app.getHttpAdapter().getInstance();
  // A response finishing after shutdown began closes its connection; a kept-alive one would hold the server open
  // for the server's whole keep-alive timeout.
  let closing = false;
  fastify.addHook('preClose', async () => {
    closing = true;
  });
  fastify.addHook('onSend', async (request, reply) => {
    void reply.header('X-Request-Id', request.id);
    if (closing) void reply.header('Connection', 'close');
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

function setupOpenApi(app: NestFastifyApplication): void {
  const config = new DocumentBuilder()
    .setTitle('NextMavens WhatsApp Gateway')
    .setDescription(
      'Multi-tenant WhatsApp API gateway in front of Evolution API. Errors always have the shape ' +
        '`{"statusCode":400,"error":"Bad Request","message":"number: not a valid phone number"}`.',
    )
    .setVersion('1.0')
    .addApiKey({ type: 'apiKey', in: 'header', name: 'apikey', description: 'Client, instance or master API key' }, 'apikey')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'Reseller JWT from POST /api/v1/auth/token' }, 'reseller-jwt')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'Admin JWT from POST /api/login' }, 'admin-jwt')
    .build();
  const document = SwaggerModule.createDocument(app, config);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
}
