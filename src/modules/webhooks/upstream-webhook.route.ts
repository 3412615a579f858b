import { Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GlobalExceptionFilter } from '@/common/errors/global-exception.filter';
import { UPSTREAM_WEBHOOK_TOKEN_HEADER } from '@/integrations/evolution/upstream-webhook';
import { UpstreamWebhookService } from './upstream-webhook.service';

interface WebhookRequest {
  Params: { instanceName: string; event?: string };
  Body: object | undefined;
}

/**
 * Where Evolution API posts each instance's events (registered by the gateway, never by tenants), as plain Fastify
 * routes: four of the five requests a send brings are these webhooks, and Nest's router, guards, pipes and
 * interceptors, none of which they use, cost more than the receiver's own work. Fastify's hooks (body limit, input
 * guard, request id, metrics) still run, and errors take the one error shape through the global exception filter.
 */
@Injectable()
export class UpstreamWebhookRoute implements OnModuleInit {
  private readonly errors = new GlobalExceptionFilter();

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly receiver: UpstreamWebhookService,
  ) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    const handler = (request: FastifyRequest<WebhookRequest>, reply: FastifyReply) => this.handle(request, reply);
    fastify.post<WebhookRequest>('/webhooks/evolution/:instanceName', handler);
    // The upstream's "webhook by events" form: the event's name as a last path segment (contract §4.2).
    fastify.post<WebhookRequest>('/webhooks/evolution/:instanceName/:event', handler);
  }

  private async handle(request: FastifyRequest<WebhookRequest>, reply: FastifyReply): Promise<unknown> {
    const token = request.headers[UPSTREAM_WEBHOOK_TOKEN_HEADER];
    try {
      return await this.receiver.receive(
        request.params.instanceName,
        typeof token === 'string' ? token : undefined,
        request.body ?? {},
        request.params.event,
      );
    } catch (err) {
      const { body, headers } = this.errors.render(err, request);
      return reply.code(body.statusCode).headers(headers).send(body);
    }
  }
}
