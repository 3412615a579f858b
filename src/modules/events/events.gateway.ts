import { Logger, OnModuleDestroy } from '@nestjs/common';
import { OnGatewayConnection, OnGatewayDisconnect, OnGatewayInit, WebSocketGateway } from '@nestjs/websockets';
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { WebSocket, WebSocketServer } from 'ws';
import { AppError } from '@/common/errors/app-error';
import { errorBody } from '@/common/errors/http-status';
import { AppConfig } from '@/config/app-config';
import { EventsSubscriber } from './events-subscriber.service';
import { WS_CLOSE } from './live-event';
import { LiveSockets } from './live-sockets';
import { SocketAuthService, SocketCredential, SocketGrant } from './socket-auth.service';

/** How often every open socket's credential is checked again: a revoked key stops receiving within this. */
export const RECHECK_INTERVAL_MS = 2000;
/** How long shutdown waits for clients to answer the close frame before cutting them. */
const CLOSE_GRACE_MS = 2000;
/** Clients only listen; anything they send is ignored, so a large frame is refused rather than read. */
const MAX_CLIENT_FRAME_BYTES = 4096;

type VerifyDone = (verified: boolean, code?: number, message?: string, headers?: OutgoingHttpHeaders) => void;

/**
 * `GET /ws`: live events for the caller's instances. The upgrade is authenticated before any WebSocket exists, so a
 * refused one is a plain HTTP answer in the API's error shape; an open socket's credential is re-checked every
 * RECHECK_INTERVAL_MS, and a socket that stops answering pings (every WS_PING_INTERVAL_MS) is cut. Events arrive
 * from Redis (EventsSubscriber).
 */
@WebSocketGateway({ path: '/ws', maxPayload: MAX_CLIENT_FRAME_BYTES })
export class EventsGateway
  implements
    OnGatewayInit<WebSocketServer>,
    OnGatewayConnection<WebSocket>,
    OnGatewayDisconnect<WebSocket>,
    OnModuleDestroy
{
  private readonly logger = new Logger(EventsGateway.name);
  /** Each accepted upgrade's grant, from verifyClient to the connection it becomes. */
  private readonly grants = new WeakMap<IncomingMessage, SocketGrant>();
  private readonly timers: NodeJS.Timeout[] = [];
  private closing = false;
  private rechecking = false;

  constructor(
    private readonly sockets: LiveSockets<SocketCredential>,
    private readonly socketAuth: SocketAuthService,
    private readonly subscriber: EventsSubscriber,
    private readonly config: AppConfig,
  ) {}

  afterInit(server: WebSocketServer): void {
    // Nest's WsAdapter takes a gateway's ws options from its decorator, where no injected service can be reached; ws
    // reads verifyClient at every upgrade, so it is set here, once the services exist.
    server.options.verifyClient = (info: { req: IncomingMessage }, done: VerifyDone) =>
      void this.verify(info.req, done);
    this.timers.push(
      // Keep-alive: a socket is pinged this often and cut when it has not answered by the next ping.
      setInterval(() => this.sockets.heartbeat(), this.config.get('WS_PING_INTERVAL_MS')).unref(),
      setInterval(() => void this.recheck(), RECHECK_INTERVAL_MS).unref(),
    );
  }

  handleConnection(socket: WebSocket, request: IncomingMessage): void {
    const grant = this.grants.get(request);
    if (!grant || this.closing) {
      socket.close(WS_CLOSE.goingAway, 'server shutting down');
      return;
    }
    this.grants.delete(request);
    socket.on('pong', () => this.sockets.pong(socket));
    this.sockets.add(socket, grant.subscription, grant.credential);
  }

  handleDisconnect(socket: WebSocket): void {
    this.sockets.remove(socket);
  }

  /** Shutdown: no new sockets, every open one closed with 1001 so its client reconnects elsewhere. */
  async closeAll(): Promise<void> {
    this.closing = true;
    this.stopTimers();
    await this.sockets.closeAll(WS_CLOSE.goingAway, 'server shutting down', CLOSE_GRACE_MS);
  }

  onModuleDestroy(): void {
    this.stopTimers();
  }

  private stopTimers(): void {
    for (const timer of this.timers) clearInterval(timer);
    this.timers.length = 0;
  }

  private async verify(request: IncomingMessage, done: VerifyDone): Promise<void> {
    if (this.closing) return refuse(done, 503, 'SHUTTING_DOWN', 'The server is shutting down; connect again');
    try {
      const grant = await this.socketAuth.authenticate(request);
      // Subscribed before the socket opens, so no event between its open and its registration is missed.
      await this.subscriber.follow({ clientId: grant.subscription.clientId, listening: true });
      this.grants.set(request, grant);
      done(true);
    } catch (err) {
      if (err instanceof AppError) return refuse(done, err.status, err.code, err.message, err.headers);
      this.logger.error({ err }, 'WebSocket upgrade failed');
      refuse(done, 500, 'INTERNAL_ERROR', 'Internal server error');
    }
  }

  /**
   * Checks every socket's credential again through the cached lookups the HTTP guards use, once per distinct
   * credential, and closes the sockets whose credential no longer works.
   */
  private async recheck(): Promise<void> {
    if (this.rechecking) return;
    this.rechecking = true;
    try {
      const verdicts = new Map<string, Promise<AppError | null>>();
      for (const { socket, credential } of this.sockets.credentials()) {
        const id = JSON.stringify(credential);
        let verdict = verdicts.get(id);
        if (!verdict) {
          verdict = this.socketAuth.recheck(credential).then(
            () => null,
            (err: unknown) => (err instanceof AppError ? err : null),
          );
          verdicts.set(id, verdict);
        }
        const refusal = await verdict;
        if (!refusal) continue;
        const code = refusal.status === 403 ? WS_CLOSE.forbidden : WS_CLOSE.unauthorized;
        this.sockets.drop(socket, code, closeReason(refusal.message));
      }
    } finally {
      this.rechecking = false;
    }
  }
}

function refuse(
  done: VerifyDone,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  done(false, status, JSON.stringify(errorBody(status, code, message)), {
    ...headers,
    'Content-Type': 'application/json; charset=utf-8',
  });
}

/** A close frame's reason is at most 123 bytes. */
function closeReason(message: string): string {
  const buffer = Buffer.from(message, 'utf8');
  return buffer.length <= 123 ? message : buffer.subarray(0, 120).toString('utf8') + '...';
}
