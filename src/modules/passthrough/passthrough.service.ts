import { Injectable, Logger } from '@nestjs/common';
import { AppError, ForbiddenError, ValidationError } from '@/common/errors/app-error';
import { MediaFetcher } from '@/common/net/media-fetcher';
import { isRecord } from '@/common/validation/is-record';
import { AppConfig } from '@/config/app-config';
import { Instance } from '@/generated/prisma/client';
import { EvolutionClient, instanceAuth, RawUpstreamResponse } from '@/integrations/evolution/evolution.client';
import {
  embeddedError,
  FailureContext,
  mapUpstreamResponse,
  upstreamText,
} from '@/integrations/evolution/evolution.error-mapper';
import { EvolutionError } from '@/integrations/evolution/evolution.errors';
import { SendResponse } from '@/integrations/evolution/evolution.types';
import { AuthService } from '@/modules/auth/auth.service';
import { ClientAuth } from '@/modules/auth/auth-context';
import { instanceNotFound } from '@/modules/instances/instance-access';
import { InstanceTokenService } from '@/modules/instances/instance-token.service';
import { Actor, InstancesService } from '@/modules/instances/instances.service';
import { SendService } from '@/modules/messages/send.service';
import { UpstreamPool } from '@/modules/upstreams/upstream-pool.service';
import { LegacyCreateInstanceDto } from './dto/create-instance.dto';
import { LegacyDeleteMessageDto } from './dto/delete-message.dto';
import { LegacyProfilePictureDto } from './dto/fetch-profile-picture.dto';
import { LegacySendBodies } from './dto/send-message.dto';
import { PassthroughCaller } from './passthrough-auth.guard';
import { FORWARDED, ForwardedRoute, SEND_ROUTES, SendAction, SendRoute } from './passthrough-routes';
import { cleanUpstreamBody, pickQuery, UpstreamAnswer } from './upstream-answer';

/** A send the upstream refused: logged as failed with the mapped message, answered with the upstream's own body. */
class UpstreamRefusal extends Error {
  constructor(
    readonly mapped: EvolutionError,
    readonly response: RawUpstreamResponse,
  ) {
    super(mapped.message);
  }
}

/**
 * The reference's legacy Evolution API routes, per tenant. Every route resolves the named instance against the
 * caller first (404 before any upstream call), calls the upstream with the gateway's own credentials (global key or
 * the stored instance token, never the caller's key), and answers with the upstream's status and body, cleaned of the
 * gateway's secrets. Sends go through SendService; creates, lists and deletes (PassthroughInstancesService) and webhooks
 * (PassthroughWebhookService) are the gateway's own and use this service's caller resolution and answer relay.
 */
@Injectable()
export class PassthroughService {
  private readonly logger = new Logger(PassthroughService.name);

  constructor(
    private readonly instances: InstancesService,
    private readonly sender: SendService,
    private readonly evolution: EvolutionClient,
    private readonly auth: AuthService,
    private readonly config: AppConfig,
    private readonly mediaFetcher: MediaFetcher,
    private readonly tokens: InstanceTokenService,
    private readonly pool: UpstreamPool,
  ) {}

  // ---- routes forwarded as they are ----

  async forward(
    caller: PassthroughCaller,
    name: string,
    route: ForwardedRoute,
    body?: unknown,
    query?: Record<string, unknown>,
  ): Promise<UpstreamAnswer> {
    const { instance } = await this.resolve(caller, name);
    return this.call(instance, route, body, pickQuery(query, route.query));
  }

  /** The reference's `DELETE /chat/deleteMessage` is the upstream's deleteMessageForEveryone with `id` for `messageId`. */
  async deleteMessage(caller: PassthroughCaller, name: string, body: LegacyDeleteMessageDto): Promise<UpstreamAnswer> {
    const forwarded = {
      id: body.messageId ?? body.id,
      remoteJid: body.remoteJid,
      fromMe: body.fromMe,
      ...(body.participant !== undefined ? { participant: body.participant } : {}),
    };
    const { instance } = await this.resolve(caller, name);
    return this.call(instance, FORWARDED.deleteMessageForEveryone, forwarded);
  }

  /** GET with `?number=` in the reference, POST with `{number}` upstream (contract §2.3). */
  async fetchProfilePictureUrl(
    caller: PassthroughCaller,
    name: string,
    { number }: LegacyProfilePictureDto,
  ): Promise<UpstreamAnswer> {
    const { instance } = await this.resolve(caller, name);
    return this.call(instance, FORWARDED.fetchProfilePictureUrl, { number });
  }

  // ---- sends ----

  /**
   * A `/message/*` send, logged, paced, capped and counted exactly like a v1 send (source `passthrough`). The number is
   * normalised as on v1; the rest of the body reaches the upstream as the caller wrote it.
   */
  async send<A extends SendAction>(
    caller: PassthroughCaller,
    name: string,
    action: A,
    body: LegacySendBodies[A],
  ): Promise<UpstreamAnswer> {
    refuseSchedulingFields(body);
    const route: SendRoute<LegacySendBodies[A]> = SEND_ROUTES[action];
    const recipient = this.sender.recipient(route.target(body));
    const { auth, instance } = await this.resolve(caller, name);
    // A send refused at once (restricted instance, opted-out number) does not fetch its media URL for nothing.
    const refused = await this.sender.refusedBeforeLeaving(instance, recipient);
    const outgoing = refused ? { ...body } : await this.withFetchedMedia(action, body);
    const delay = route.delayMs(body);
    const context = { operation: 'send the message', instanceName: instance.name, mediaField: route.mediaField };
    let answer: RawUpstreamResponse | undefined;
    let logId: bigint | undefined;
    try {
      const logged = await this.sender.deliver({
        onLogged: (id) => (logId = id),
        instance,
        limits: auth.limits,
        recipient,
        messageType: route.messageType(body),
        source: 'passthrough',
        maxWaitMs: this.config.get('SEND_MAX_WAIT_MS'),
        upstreamDelayMs: delay,
        send: async (to) => {
          const forwarded = action === 'sendReaction' ? outgoing : { ...outgoing, number: to };
          const res = await this.evolution.forward({
            method: 'POST',
            route: `message/${action}`,
            instanceName: instance.name,
            auth: instanceAuth(instance.id),
            body: forwarded,
            extraTimeoutMs: delay,
            context,
          });
          const refused = sendRefusal(res, context);
          if (refused) throw new UpstreamRefusal(refused, res);
          answer = res;
          return res.body as SendResponse;
        },
      });
      return {
        ...(await this.cleaned(instance, answer ?? { status: 201, body: {} }, context)),
        headers: { 'X-Message-Log-Id': logged.id },
      };
    } catch (err) {
      // A failed send is in the log too: its answer names the row, whatever the failure.
      const logHeader: Record<string, string> = logId === undefined ? {} : { 'X-Message-Log-Id': logId.toString() };
      if (!(err instanceof UpstreamRefusal)) {
        if (err instanceof AppError) Object.assign(err.headers, logHeader);
        throw err;
      }
      const relayed = await this.relay(instance, err.response, context, logHeader);
      return { ...relayed, headers: { ...relayed.headers, ...logHeader } };
    }
  }

  /**
   * Media named by URL is fetched by the gateway through the outbound guard and sent upstream as base64, so the
   * upstream never fetches a tenant's URL from inside the deployment (see MediaFetcher).
   */
  private async withFetchedMedia(action: SendAction, body: object): Promise<Record<string, unknown>> {
    const fields: Record<string, unknown> = { ...body };
    const field = SEND_ROUTES[action].mediaField;
    const value = field ? fields[field] : undefined;
    if (!field || typeof value !== 'string' || !/^https?:\/\//i.test(value.trim())) return fields;
    const fetched = await this.mediaFetcher.fetch(field, value.trim());
    const named =
      action === 'sendMedia'
        ? { mimetype: fields.mimetype ?? fetched.mimetype, fileName: fields.fileName ?? fetched.fileName }
        : {};
    return { ...fields, [field]: fetched.base64, ...named };
  }

  // ---- internals ----

  /**
   * The named instance as the caller may see it: a tenant key through the tenant-scoped lookup (an instance key sees
   * its own instance only), the master key acting for the instance's owner. Unknown or not yours → 404, before any
   * upstream call.
   */
  async resolve(caller: PassthroughCaller, name: string): Promise<{ auth: ClientAuth; instance: Instance }> {
    if (caller.kind === 'tenant')
      return { auth: caller.auth, instance: await this.instances.resolve(caller.auth, name) };
    const instance = await this.instances.findLiveByNameForSystem(name);
    if (!instance) throw instanceNotFound(name);
    return { auth: await this.auth.actAsClient(instance.clientId), instance };
  }

  /** Which client a create is for: the client key's own, or the `client_id` the master key names. */
  async creator(caller: PassthroughCaller, body: LegacyCreateInstanceDto): Promise<ClientAuth> {
    if (caller.kind === 'master') {
      const id = body.client_id;
      if (id === undefined) {
        throw new ValidationError(
          'client_id: the master key must name the client that will own the instance (a positive integer)',
        );
      }
      return this.auth.actAsClient(id);
    }
    if (caller.auth.instanceId) {
      throw new ForbiddenError(
        'An instance key works on its own instance only; create instances with the client API key',
        'CLIENT_KEY_REQUIRED',
      );
    }
    if (body.client_id !== undefined)
      throw new ValidationError(
        'client_id: only the master key may name a client; a client key creates for its own client',
      );
    return caller.auth;
  }

  actor(caller: PassthroughCaller, auth: ClientAuth): Actor {
    return caller.kind === 'master'
      ? { actorType: 'system', actorId: 'master-key' }
      : { actorType: 'client', actorId: String(auth.clientId) };
  }

  async call(
    instance: Instance,
    route: ForwardedRoute,
    body?: unknown,
    query?: Record<string, string>,
  ): Promise<UpstreamAnswer> {
    const context = { operation: route.operation, instanceName: instance.name };
    const res = await this.evolution.forward({
      method: route.method,
      route: route.route,
      instanceName: instance.name,
      auth: instanceAuth(instance.id),
      body,
      query,
      extraTimeoutMs: route.extraTimeoutMs,
      context,
    });
    return this.relay(instance, res, context);
  }

  /**
   * The upstream's answer for the caller, with the quirks that break clients smoothed: a 401/403 means the gateway's
   * own credentials failed even after auto-heal (not the caller's key), so it becomes a 502; a 5xx is the upstream's
   * internals ("Connection Closed", TypeErrors), so it becomes the v1 answer (409 not connected, 400 naming the field
   * for a file the upstream cannot read, otherwise 502) and its text goes to the log only; HTTP 200 with `error: true`
   * (connect/restart, contract §2.1) becomes the error it is. Other statuses pass through with their bodies. `headers`
   * go on the error answers too.
   */
  async relay(
    instance: Instance,
    res: RawUpstreamResponse,
    context: FailureContext,
    headers: Record<string, string> = {},
  ): Promise<UpstreamAnswer> {
    if (res.status === 401 || res.status === 403 || res.status >= 500) {
      const mapped = mapUpstreamResponse(res.status, res.body, context);
      // A 5xx that is the caller's fault (a file the upstream cannot read) is answered as such, not logged as a failure.
      if (res.status >= 500 && mapped.status >= 500) {
        this.logger.warn(
          { instanceName: instance.name, status: res.status, upstream: upstreamText(res.body) },
          `The upstream failed to ${context.operation}`,
        );
      }
      Object.assign(mapped.headers, headers);
      throw mapped;
    }
    const embedded = res.status >= 200 && res.status < 300 ? embeddedError(res.body, context) : undefined;
    if (embedded) throw embedded;
    return this.cleaned(instance, res, context);
  }

  async cleaned(instance: Instance, res: RawUpstreamResponse, context: FailureContext): Promise<UpstreamAnswer> {
    // Read after the call: an auto-heal during it may have stored a new token.
    const secrets = [...this.pool.apiKeys(), (await this.tokens.current(instance.id)).token];
    const explanation =
      `The WhatsApp server gave no reason why it could not ${context.operation} for "${instance.name}"; check that the instance ` +
      `is connected (GET /instance/connectionState/${instance.name}) and that the numbers, groups and message ids in the request exist`;
    return {
      status: res.status,
      body: cleanUpstreamBody(res.body, secrets, res.status >= 400 ? explanation : undefined),
    };
  }
}

/** The v1 send routes' timing fields: on a pass-through send they would be forwarded, ignored, and the message sent now. */
const SCHEDULING_FIELDS = ['send_at', 'expires_at', 'ttl_seconds'] as const;

/**
 * A pass-through send leaves at once, like Evolution API's own: scheduling and expiry are the v1 routes'. A body
 * naming them is refused rather than forwarded, since the caller would otherwise believe the message waits or expires.
 */
function refuseSchedulingFields(body: object): void {
  const named = SCHEDULING_FIELDS.filter((field) => field in body);
  if (named.length === 0) return;
  throw new ValidationError(
    `${named.join(', ')}: pass-through sends leave at once and take no scheduling or expiry; schedule or expire a ` +
      'message with send_at, expires_at or ttl_seconds on POST /api/v1/whatsapp/send, send-media or send-bulk',
    'PASSTHROUGH_SCHEDULING_UNSUPPORTED',
  );
}

function sendRefusal(res: RawUpstreamResponse, context: FailureContext): EvolutionError | undefined {
  if (res.status < 200 || res.status >= 300) return mapUpstreamResponse(res.status, res.body, context);
  const embedded = embeddedError(res.body, context);
  if (embedded) return embedded;
  const key = isRecord(res.body) ? res.body.key : undefined;
  if (!isRecord(key) || typeof key.id !== 'string') {
    return new EvolutionError(
      'upstream_error',
      `The WhatsApp server answered the send on "${context.instanceName}" without a message id`,
      res.status,
      true,
    );
  }
  return undefined;
}
