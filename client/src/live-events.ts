/**
 * Live events over the gateway's `/ws` (docs/websocket.md): the tenant webhook's events as they happen, plus
 * `bulk.progress`. Reconnects by itself after a drop or a server restart, with a growing pause; stops for good when
 * the gateway says the credential is no longer valid (4401, 4403) or when closed.
 */
export interface LiveEvent<T = Record<string, unknown>> {
  event: string;
  instance: string;
  data: T;
  date_time: string;
}

/** The part of the WebSocket API used here: the browser's and Node's `ws` package both have it. */
interface SocketLike {
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  close(code?: number): void;
}

type SocketConstructor = new (url: string, options?: { headers: Record<string, string> }) => SocketLike;

export interface LiveEventsOptions {
  baseUrl: string;
  /** A JWT (reseller or admin), sent as `?access_token=`: the only way a browser can authenticate a WebSocket. */
  token?: string;
  /** An API key, sent as the `apikey` header: only with a WebSocket implementation that takes headers (Node's `ws`). */
  apiKey?: string;
  /** Only this instance's events. */
  instance?: string;
  onEvent: (event: LiveEvent) => void;
  /** Connected, reconnecting (after a drop), or stopped (credential refused, or closed by the caller). */
  onStatus?: (status: 'open' | 'reconnecting' | 'stopped', detail?: { code: number; reason: string }) => void;
  /** The WebSocket class: the global one by default (browsers, Node 22+); pass `ws`'s on Node 20. */
  WebSocket?: SocketConstructor;
}

export interface LiveEventsConnection {
  close(): void;
}

/** Close codes after which reconnecting cannot help: the token expired, or the key was revoked. */
const FINAL_CLOSE_CODES = new Set([4401, 4403]);
const MAX_BACKOFF_MS = 30_000;

export function liveEventsUrl(options: Pick<LiveEventsOptions, 'baseUrl' | 'token' | 'instance'>): string {
  const url = new URL('/ws', options.baseUrl.replace(/^http/, 'ws'));
  if (options.token) url.searchParams.set('access_token', options.token);
  if (options.instance) url.searchParams.set('instance', options.instance);
  return url.toString();
}

export function connectLiveEvents(options: LiveEventsOptions): LiveEventsConnection {
  const Socket = options.WebSocket ?? (globalThis as unknown as { WebSocket?: SocketConstructor }).WebSocket;
  if (!Socket) throw new Error('No WebSocket implementation: pass options.WebSocket (e.g. the ws package)');
  const url = liveEventsUrl(options);
  let socket: SocketLike | undefined;
  let stopped = false;
  let failures = 0;
  let retry: ReturnType<typeof setTimeout> | undefined;

  const open = () => {
    socket = options.apiKey ? new Socket(url, { headers: { apikey: options.apiKey } }) : new Socket(url);
    socket.onopen = () => {
      failures = 0;
      options.onStatus?.('open');
    };
    socket.onmessage = (message) => {
      if (typeof message.data !== 'string') return;
      try {
        options.onEvent(JSON.parse(message.data) as LiveEvent);
      } catch {
        // Not JSON: nothing the gateway sends, so nothing to hand on.
      }
    };
    socket.onerror = () => undefined; // onclose follows and decides
    socket.onclose = (event) => {
      socket = undefined;
      if (stopped) return;
      if (FINAL_CLOSE_CODES.has(event.code)) {
        stopped = true;
        options.onStatus?.('stopped', { code: event.code, reason: event.reason });
        return;
      }
      options.onStatus?.('reconnecting', { code: event.code, reason: event.reason });
      failures += 1;
      retry = setTimeout(open, Math.min(MAX_BACKOFF_MS, 500 * 2 ** Math.min(failures, 6)));
    };
  };
  open();

  return {
    close() {
      if (stopped) return;
      stopped = true;
      clearTimeout(retry);
      socket?.close(1000);
      options.onStatus?.('stopped', { code: 1000, reason: 'closed by the caller' });
    },
  };
}
