import http, { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { checkedBehaviour, DEFAULT_BEHAVIOUR, SimBehaviour } from './simulator-behaviour';
import { handleControl, isControlPath } from './simulator-control';
import { InboundMessage, SimulatorEngine } from './simulator-engine';
import { faultOutcome, FaultRegistry, FaultSpec, FaultView } from './simulator-faults';
import { HttpError, notFound, parseBody, readRawBody, sendJson, SimResponse } from './simulator-http';
import { receiveMessage, renderMessage } from './simulator-messages';
import { matchRoute, RequestContext, runRoute } from './simulator-routes';
import { Scheduler } from './simulator-scheduler';
import { ConnectionState, MessageStatus, SimInstance, SimInstanceView } from './simulator-state';
import { WebhookDelivery, WebhookDispatcher } from './simulator-webhooks';

export type { SimBehaviour } from './simulator-behaviour';
export type { InboundMessage } from './simulator-engine';
export type { FaultSpec, FaultView } from './simulator-faults';
export type { ConnectionState, MessageStatus, SimInstanceView } from './simulator-state';
export type { WebhookDelivery, WebhookEnvelope } from './simulator-webhooks';

export interface EvolutionSimulatorOptions {
  /** 0 = a random free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** The upstream's AUTHENTICATION_API_KEY. */
  globalKey: string;
  /** Extra wait on create with `qrcode:true` (the real server sleeps 5 s, contract §2.1). Default 0. */
  createDelayMs?: number;
  /** Gap between the status webhooks that follow a send. Default 20. */
  ackDelayMs?: number;
  /** Cap on a send's `delay` (contract §6 keeps the request open for the whole delay). Default 30 000. */
  maxSendDelayMs?: number;
  /** Per-attempt timeout of webhook POSTs. Default 5 000. */
  webhookTimeoutMs?: number;
  /**
   * First wait before a failed webhook is posted again (contract §4.3: 5 s, doubling up to 300 s, 10 attempts in all;
   * 5xx, 408, 429 and network errors are retried). Default 5 000; tests shorten it.
   */
  webhookRetryDelayMs?: number;
  /** Put the instance token in the webhook `apikey` field (AUTHENTICATION_EXPOSE_IN_FETCH_INSTANCES). Default false. */
  exposeTokenInWebhooks?: boolean;
  /** The real server's connection and delete timing (see SimBehaviour); `configure()` changes it at run time. */
  behaviour?: Partial<SimBehaviour>;
}

export interface LoggedRequest {
  method: string;
  /** Path without the query string, as received (not decoded). */
  path: string;
  /** The raw request target, query string included. */
  url: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body, `{}` when there was none, or the raw text when it was not valid JSON. */
  body: unknown;
  at: Date;
}

/** A snapshot array with a `clear()` that empties the underlying log. */
export type ClearableLog<T> = ReadonlyArray<T> & { clear(): void };

export interface EvolutionSimulator {
  readonly url: string;
  readonly port: number;
  readonly globalKey: string;
  /** Closes the server, every keep-alive socket, in-flight webhooks and pending timers. */
  close(): Promise<void>;
  instances(): readonly SimInstanceView[];
  instance(name: string): SimInstanceView | undefined;
  requests(): ClearableLog<LoggedRequest>;
  webhookDeliveries(): ClearableLog<WebhookDelivery>;
  /**
   * Sets the connection state and emits what the upstream would (connection.update, …). A close carries
   * `statusReason` (401, loggedOut, by default; the real upstream posts a close only for 401, 402, 403 and 406).
   */
  setState(
    name: string,
    state: ConnectionState,
    opts?: { ownerNumber?: string; statusReason?: number },
  ): SimInstanceView;
  /** "The user scanned the QR": connecting → open. */
  scan(name: string, opts?: { ownerNumber?: string }): SimInstanceView;
  /** Replaces the instance token (the old one now gets 401) and returns the new one. */
  rotateToken(name: string): string;
  addFault(spec: FaultSpec): FaultView;
  faults(): readonly FaultView[];
  clearFaults(): number;
  /** Replaces the set of numbers reported as not on WhatsApp (numbers ending in 0000 always are). */
  setNotOnWhatsapp(numbers: readonly string[]): void;
  notOnWhatsapp(): readonly string[];
  /** Statuses `messages.update` reports after a send, in order. Default SERVER_ACK, DELIVERY_ACK, READ. */
  setAckSequence(statuses: readonly MessageStatus[]): void;
  /** An inbound message from a contact: stored and emitted as `messages.upsert`. */
  receiveMessage(name: string, inbound: InboundMessage): Record<string, unknown>;
  /** Changes how closely the server follows a real one's timing (contract §11, §12) and returns the result. */
  configure(behaviour: Partial<SimBehaviour>): SimBehaviour;
  behaviour(): SimBehaviour;
  /** Forgets instances, faults, logs, number rules, queued webhooks and run-time behaviour changes. */
  reset(): void;
}

const MAX_LOGGED_REQUESTS = 10_000;

export async function startEvolutionSimulator(opts: EvolutionSimulatorOptions): Promise<EvolutionSimulator> {
  const host = opts.host ?? '127.0.0.1';
  const scheduler = new Scheduler();
  const webhooks = new WebhookDispatcher(scheduler, opts.webhookTimeoutMs ?? 5_000, opts.webhookRetryDelayMs ?? 5_000);
  const faults = new FaultRegistry();
  const requestLog: LoggedRequest[] = [];
  let url = '';
  const engine = new SimulatorEngine(
    {
      globalKey: opts.globalKey,
      createDelayMs: opts.createDelayMs ?? 0,
      ackDelayMs: opts.ackDelayMs ?? 20,
      maxSendDelayMs: opts.maxSendDelayMs ?? 30_000,
      exposeTokenInWebhooks: opts.exposeTokenInWebhooks ?? false,
      serverUrl: () => url,
      behaviour: checkedBehaviour({ ...DEFAULT_BEHAVIOUR, ...opts.behaviour }),
    },
    scheduler,
    webhooks,
  );

  const server = http.createServer((req, res) => {
    void dispatch(req, res);
  });
  await listen(server, opts.port ?? 0, host);
  const port = (server.address() as AddressInfo).port;
  url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  const sim: EvolutionSimulator = {
    url,
    port,
    globalKey: opts.globalKey,
    close: () => closeAll(server, scheduler, webhooks),
    instances: () => [...engine.instances.values()].map(view),
    instance: (name) => {
      const inst = engine.get(name);
      return inst ? view(inst) : undefined;
    },
    requests: () => clearable(requestLog, () => (requestLog.length = 0)),
    webhookDeliveries: () => clearable(webhooks.deliveries(), () => webhooks.clearLog()),
    setState: (name, state, stateOpts) => {
      const inst = engine.require(name);
      engine.setState(inst, state, stateOpts);
      return view(inst);
    },
    scan: (name, scanOpts) => {
      const inst = engine.require(name);
      engine.scan(inst, scanOpts?.ownerNumber);
      return view(inst);
    },
    rotateToken: (name) => engine.rotateToken(engine.require(name)),
    addFault: (spec) => faults.add(spec),
    faults: () => faults.list(),
    clearFaults: () => faults.clear(),
    setNotOnWhatsapp: (numbers) => {
      engine.notOnWhatsapp.clear();
      for (const n of numbers) engine.notOnWhatsapp.add(n.replace(/\D/g, ''));
    },
    notOnWhatsapp: () => [...engine.notOnWhatsapp],
    setAckSequence: (statuses) => {
      engine.ackSequence = [...statuses];
    },
    receiveMessage: (name, inbound) => renderMessage(receiveMessage(engine, engine.require(name), inbound)),
    configure: (behaviour) => {
      engine.behaviour = checkedBehaviour({ ...engine.behaviour, ...behaviour });
      return { ...engine.behaviour };
    },
    behaviour: () => ({ ...engine.behaviour }),
    reset: () => {
      scheduler.cancel('background');
      webhooks.reset();
      engine.reset();
      faults.clear();
      requestLog.length = 0;
    },
  };

  async function dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const response = await handle(req);
      if (response) sendJson(res, response.status, response.body);
    } catch (err) {
      // contract §0: a thrown exception object renders as-is; anything else is a 500 with a string message.
      if (err instanceof HttpError) return sendJson(res, err.status, err.body);
      sendJson(res, 500, {
        status: 500,
        error: 'Internal Server Error',
        response: { message: err instanceof Error ? err.message : String(err) },
      });
    }
  }

  /** Answers a request, or returns undefined when the answer is "no answer" (a hanging fault). */
  async function handle(req: IncomingMessage): Promise<SimResponse | undefined> {
    const method = (req.method ?? 'GET').toUpperCase();
    const rawUrl = req.url ?? '/';
    const { pathname, query } = splitUrl(rawUrl);
    const apikey = headerValue(req.headers['apikey']);
    const { body, parseError } = await readBody(req);

    if (isControlPath(pathname)) {
      if (parseError) throw parseError;
      return handleControl(sim, { method, pathname, apikey, body });
    }
    logRequest({
      method,
      path: pathname,
      url: rawUrl,
      query: Object.fromEntries(query),
      headers: req.headers,
      body,
      at: new Date(),
    });

    const fault = faults.take(method, pathname);
    if (fault) {
      const outcome = faultOutcome(fault, pathname);
      if (outcome.kind === 'respond') return outcome.response;
      if (outcome.kind === 'hang') {
        scheduler.after(outcome.ms, 'request', () => req.socket.destroy());
        return undefined;
      }
      await scheduler.sleep(outcome.ms, 'request');
    }
    // contract §11: the JSON parser runs before any router, so even unknown routes see the 400.
    if (parseError) throw parseError;
    if (method === 'OPTIONS') return { status: 204, body: undefined };

    const match = matchRoute(method, pathname);
    // contract §0: Express' fallback quotes the method and the raw URL.
    if (!match) throw notFound(`Cannot ${method} ${rawUrl}`);
    const ctx: RequestContext = { engine, method, url: rawUrl, pathname, query, headers: req.headers, apikey, body };
    return runRoute(match, ctx);
  }

  function logRequest(entry: LoggedRequest): void {
    requestLog.push(entry);
    if (requestLog.length > MAX_LOGGED_REQUESTS) requestLog.shift();
  }

  return sim;
}

function view(inst: SimInstance): SimInstanceView {
  return structuredClone(inst);
}

function clearable<T>(entries: readonly T[], clear: () => void): ClearableLog<T> {
  return Object.assign([...entries], { clear });
}

function splitUrl(rawUrl: string): { pathname: string; query: URLSearchParams } {
  const at = rawUrl.indexOf('?');
  return at < 0
    ? { pathname: rawUrl, query: new URLSearchParams() }
    : { pathname: rawUrl.slice(0, at), query: new URLSearchParams(rawUrl.slice(at + 1)) };
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

async function readBody(req: IncomingMessage): Promise<{ body: unknown; parseError?: HttpError }> {
  const raw = await readRawBody(req);
  try {
    return { body: parseBody(raw, req.headers['content-type']) };
  } catch (err) {
    if (err instanceof HttpError) return { body: raw.toString('utf8'), parseError: err };
    throw err;
  }
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

async function closeAll(server: Server, scheduler: Scheduler, webhooks: WebhookDispatcher): Promise<void> {
  scheduler.dispose();
  webhooks.dispose();
  if (!server.listening) return;
  const closed = new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
  // Keep-alive sockets (and requests parked in a `delay` or a hanging fault) would hold close() open.
  server.closeAllConnections();
  await closed;
}
