import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { Agent, Dispatcher, request } from 'undici';
import { MetricsService } from '@/common/metrics/metrics.service';
import { AppConfig } from '@/config/app-config';
import {
  embeddedError,
  FailureContext,
  mapTransportFailure,
  mapUpstreamResponse,
  rejectsCredentials,
} from './evolution.error-mapper';
import { EvolutionError } from './evolution.errors';
import {
  ConnectionStateResponse,
  CreateInstanceRequest,
  CreateInstanceResponse,
  FetchedInstance,
  OnWhatsAppEntry,
  QrCode,
  SendResponse,
  UpstreamWebhookConfig,
} from './evolution.types';
import { InstanceTokenStore } from './instance-token.store';
import { UpstreamDirectory, UpstreamTarget } from './upstream-directory';

export type UpstreamMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * Which server a call goes to and which key it carries: one upstream's global key, or the stored token of one
 * instance, which goes to the upstream that instance lives on.
 */
export type UpstreamAuth = { kind: 'global'; upstreamId: number } | { kind: 'instance'; instanceId: string };

export function globalAuth(upstreamId: number): UpstreamAuth {
  return { kind: 'global', upstreamId };
}

export function instanceAuth(instanceId: string): UpstreamAuth {
  return { kind: 'instance', instanceId };
}

export interface UpstreamCall {
  method: UpstreamMethod;
  path: string;
  auth: UpstreamAuth;
  body?: unknown;
  query?: Record<string, string>;
  /** Added to the base timeout: the upstream holds the request open for a send's `delay` (contract §6). */
  extraTimeoutMs?: number;
  /** Replaces the whole timeout, for probes that must answer quickly. */
  timeoutMs?: number;
  context: FailureContext;
}

export interface RawUpstreamResponse {
  status: number;
  body: unknown;
}

/**
 * The only code that talks to Evolution API: URLs, headers, timeouts, keep-alive and error mapping live here. Every
 * call resolves its server first (an instance's own upstream, or the one a global call names), and a server whose
 * circuit is open is not called at all.
 */
@Injectable()
export class EvolutionClient implements OnModuleDestroy {
  /** A keep-alive pool per upstream origin (undici: a fraction of the CPU of axios over node:http per call). */
  private readonly dispatcher: Dispatcher = new Agent({ connections: 128, keepAliveTimeout: 4000 });

  /** Where instance calls get their tokens: handed over by the instances feature when it starts (InstancesModule). */
  private tokens?: InstanceTokenStore;
  /** Where calls find their server: handed over by the upstreams feature when it starts (UpstreamsModule). */
  private upstreams?: UpstreamDirectory;

  constructor(
    private readonly config: AppConfig,
    private readonly metrics: MetricsService,
  ) {}

  useTokenStore(store: InstanceTokenStore): void {
    this.tokens = store;
  }

  useUpstreams(directory: UpstreamDirectory): void {
    this.upstreams = directory;
  }

  async onModuleDestroy(): Promise<void> {
    await this.dispatcher.destroy();
  }

  /**
   * Reachability and global-key check of one server, called whatever its circuit says (the health probe is what
   * closes it again): an unknown name answers 404 only after the key passed.
   */
  async ping(target: UpstreamTarget, timeoutMs: number): Promise<void> {
    const context = { operation: 'answer the health probe' };
    const res = await this.request(
      {
        method: 'GET',
        path: '/instance/fetchInstances',
        query: { instanceName: '__nextmavens_health_probe__' },
        auth: globalAuth(target.id),
        context,
        timeoutMs,
      },
      target,
      target.apiKey,
    );
    if (res.status === 200 || res.status === 404) return;
    throw mapUpstreamResponse(res.status, res.body, context);
  }

  createInstance(upstreamId: number, req: CreateInstanceRequest): Promise<CreateInstanceResponse> {
    return this.call({
      method: 'POST',
      path: '/instance/create',
      auth: globalAuth(upstreamId),
      body: req,
      // With qrcode:true the upstream waits about 5 s for a QR before answering (contract §2.1).
      extraTimeoutMs: 10000,
      context: { operation: 'create the instance', instanceName: req.instanceName },
    });
  }

  /** The instance row with its current token; undefined when the upstream does not know the name. */
  async fetchInstance(upstreamId: number, name: string): Promise<FetchedInstance | undefined> {
    const res = await this.raw({
      method: 'GET',
      path: '/instance/fetchInstances',
      query: { instanceName: name },
      auth: globalAuth(upstreamId),
      context: { operation: 'look up the instance', instanceName: name },
    });
    if (res.status === 404) return undefined;
    const rows = this.unwrap<FetchedInstance[]>(res, { operation: 'look up the instance', instanceName: name });
    return rows.find((r) => r.name === name);
  }

  /** Every instance one upstream holds, with tokens and states, for drift checks. */
  fetchAllInstances(upstreamId: number): Promise<FetchedInstance[]> {
    return this.call({
      method: 'GET',
      path: '/instance/fetchInstances',
      auth: globalAuth(upstreamId),
      context: { operation: 'list instances' },
    });
  }

  /** `number` (digits with the country code) asks for a pairing code to link that phone without scanning. */
  connect(name: string, auth: UpstreamAuth, number?: string): Promise<QrCode | ConnectionStateResponse> {
    return this.call({
      method: 'GET',
      path: `/instance/connect/${enc(name)}`,
      query: number === undefined ? undefined : { number },
      auth,
      // A closed instance starts connecting and the upstream waits for the QR before answering (contract §2.1).
      extraTimeoutMs: 10000,
      context: { operation: 'fetch a QR code', instanceName: name },
    });
  }

  connectionState(name: string, auth: UpstreamAuth): Promise<ConnectionStateResponse> {
    return this.call({
      method: 'GET',
      path: `/instance/connectionState/${enc(name)}`,
      auth,
      context: { operation: 'read the connection state', instanceName: name },
    });
  }

  /**
   * POST, not the documented PUT (contract §2.1). Answers as connect does (a QR, or the open state), and HTTP 200
   * `{error: true}` for a closed instance, which becomes an error here.
   */
  restart(name: string, auth: UpstreamAuth): Promise<QrCode | ConnectionStateResponse> {
    return this.call({
      method: 'POST',
      path: `/instance/restart/${enc(name)}`,
      auth,
      // It reconnects and, like connect, may wait for the first QR before answering.
      extraTimeoutMs: 10000,
      context: { operation: 'restart the instance', instanceName: name },
    });
  }

  logout(name: string, auth: UpstreamAuth): Promise<unknown> {
    return this.call({
      method: 'DELETE',
      path: `/instance/logout/${enc(name)}`,
      auth,
      context: { operation: 'log out', instanceName: name },
    });
  }

  deleteInstance(name: string, auth: UpstreamAuth): Promise<unknown> {
    return this.call({
      method: 'DELETE',
      path: `/instance/delete/${enc(name)}`,
      auth,
      context: { operation: 'delete the instance', instanceName: name },
    });
  }

  setWebhook(name: string, auth: UpstreamAuth, webhook: UpstreamWebhookConfig): Promise<unknown> {
    return this.call({
      method: 'POST',
      path: `/webhook/set/${enc(name)}`,
      auth,
      body: { webhook: { enabled: true, ...webhook } },
      context: { operation: 'configure the webhook', instanceName: name },
    });
  }

  /** Which numbers have WhatsApp (contract §2.3); the upstream answers every error of this route with a 400. */
  whatsappNumbers(name: string, auth: UpstreamAuth, numbers: string[]): Promise<OnWhatsAppEntry[]> {
    return this.call({
      method: 'POST',
      path: `/chat/whatsappNumbers/${enc(name)}`,
      auth,
      body: { numbers },
      context: { operation: 'check the numbers', instanceName: name },
    });
  }

  sendText(
    name: string,
    auth: UpstreamAuth,
    body: { number: string; text: string; delay?: number },
  ): Promise<SendResponse> {
    return this.call({
      method: 'POST',
      path: `/message/sendText/${enc(name)}`,
      auth,
      body,
      extraTimeoutMs: body.delay ?? 0,
      context: { operation: 'send the text message', instanceName: name },
    });
  }

  sendMedia(
    name: string,
    auth: UpstreamAuth,
    body: Record<string, unknown> & { number: string; delay?: number },
  ): Promise<SendResponse> {
    return this.call({
      method: 'POST',
      path: `/message/sendMedia/${enc(name)}`,
      auth,
      body,
      extraTimeoutMs: body.delay ?? 0,
      context: { operation: 'send the media message', instanceName: name, mediaField: 'media' },
    });
  }

  /**
   * One legacy Evolution API route for the pass-through surface, answered as it is (see `raw`): `/<route>/<name>`, or
   * `/<route>` for the routes without an instance. The caller decides which query parameters may reach the upstream.
   */
  forward(req: Omit<UpstreamCall, 'path'> & { route: string; instanceName?: string }): Promise<RawUpstreamResponse> {
    const { route, instanceName, ...call } = req;
    const path = instanceName === undefined ? `/${route}` : `/${route}/${enc(instanceName)}`;
    return this.raw({ ...call, path });
  }

  /** A call whose non-2xx answers become typed errors, including HTTP 200 `{error:true}`. */
  async call<T>(call: UpstreamCall): Promise<T> {
    return this.unwrap<T>(await this.raw(call), call.context);
  }

  /**
   * A call whose answer comes back as it is, for the pass-through surface that returns the upstream's own body.
   * Transport failures still throw typed errors. An instance call whose token is rejected (401, or a 403 that is not
   * the create route's "name in use") gets a fresh token and is retried once: the auto-heal the reference promises,
   * invisible to callers.
   */
  async raw(call: UpstreamCall): Promise<RawUpstreamResponse> {
    if (call.auth.kind === 'global') {
      const target = await this.directory().available(call.auth.upstreamId);
      return this.send(call, target, target.apiKey);
    }
    const tokens = this.tokenStore();
    const { token, upstreamId } = await tokens.current(call.auth.instanceId);
    const target = await this.directory().available(upstreamId);
    const first = await this.send(call, target, token);
    if (!rejectsCredentials(first.status, first.body)) return first;
    return this.send(call, target, await tokens.refreshAfterRejection(call.auth.instanceId, token));
  }

  /** A call that tells the directory whether the server could be reached. */
  private async send(call: UpstreamCall, target: UpstreamTarget, apikey: string): Promise<RawUpstreamResponse> {
    try {
      const res = await this.request(call, target, apikey);
      this.directory().answered(target.id);
      return res;
    } catch (err) {
      // A timeout says little about the server (a connect waits for WhatsApp, a send for its delay); no route does.
      if (err instanceof EvolutionError && err.kind === 'unreachable')
        this.directory().unreachable(target.id, err.message);
      throw err;
    }
  }

  private async request(call: UpstreamCall, target: UpstreamTarget, apikey: string): Promise<RawUpstreamResponse> {
    const timeoutMs = call.timeoutMs ?? this.config.get('EVOLUTION_TIMEOUT_MS') + Math.max(0, call.extraTimeoutMs ?? 0);
    const started = process.hrtime.bigint();
    let outcome = 'error';
    try {
      const query = call.query ? `?${new URLSearchParams(call.query).toString()}` : '';
      const res = await request(`${target.url}${call.path}${query}`, {
        method: call.method,
        headers: { apikey, ...(call.body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: call.body === undefined ? undefined : JSON.stringify(call.body),
        dispatcher: this.dispatcher,
        // The whole answer must come within the timeout: headers first, then no gap longer than it in the body.
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      outcome = String(res.statusCode);
      return { status: res.statusCode, body: parseBody(await res.body.text()) };
    } catch (err) {
      const mapped = mapTransportFailure(err, call.context);
      outcome = mapped.kind;
      throw mapped;
    } finally {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      this.metrics.upstreamRequestDuration.observe(
        { upstream: target.name, operation: operationLabel(call.path), outcome },
        seconds,
      );
    }
  }

  private directory(): UpstreamDirectory {
    if (!this.upstreams) throw new Error('Upstream calls need the upstreams feature (UpstreamsModule)');
    return this.upstreams;
  }

  private tokenStore(): InstanceTokenStore {
    if (!this.tokens) throw new Error('Instance calls need the instances feature (InstancesModule) for their tokens');
    return this.tokens;
  }

  private unwrap<T>(res: RawUpstreamResponse, ctx: FailureContext): T {
    if (res.status < 200 || res.status >= 300) throw mapUpstreamResponse(res.status, res.body, ctx);
    const embedded = embeddedError(res.body, ctx);
    if (embedded) throw embedded;
    return res.body as T;
  }
}

/** JSON when the upstream answered JSON (it does, but for some proxies' error pages); the text otherwise. */
function parseBody(text: string): unknown {
  if (text === '') return '';
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function enc(name: string): string {
  return encodeURIComponent(name);
}

/** `/message/sendText/shop-1` → `message/sendText`: a bounded label set for metrics. */
function operationLabel(path: string): string {
  return path.split('/').filter(Boolean).slice(0, 2).join('/');
}
