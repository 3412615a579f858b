import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useRef, useState } from 'react';
import { connectLiveEvents, createGatewayClient, type GatewayClient, type LiveEvent, unwrap } from '../../client/src';

/** Operators sign in with a username and password (admin JWT); clients with their API key (a reseller JWT). */
export type Role = 'operator' | 'client';

interface StoredSession {
  token: string;
  role: Role;
  name: string;
  /**
   * When the token expires (ms since the epoch): the lifetime the gateway gave, counted on this browser's clock from
   * when the token arrived, so a clock that is off does not end a session early or late.
   */
  expiresAt: number;
}

interface Session extends StoredSession {
  api: GatewayClient;
  signOut: () => void;
  /** Ends the session because the gateway no longer takes its token; the sign-in page shows `notice`. */
  endSession: (notice: string) => void;
  /** One cheap call with the token, so a refused token ends the session (after a /ws reconnect fails, say). */
  checkSession: () => void;
}

/** Only the session token and who it belongs to are kept; the API key and password never are. */
const STORAGE_KEY = 'nextmavens.session';
const baseUrl = window.location.origin;
/** Tells the provider a sign-in stored a new session. */
const SESSION_EVENT = 'nextmavens-session';
/** A client's session token lasts 8 hours: long enough for a working day, short enough if a browser is left open. */
const CLIENT_SESSION_SECONDS = 8 * 3600;
/** setTimeout cannot wait longer (about 24.8 days); no session token lives that long. */
const MAX_TIMER_MS = 2 ** 31 - 1;
export const SESSION_EXPIRED = 'Your session has expired. Sign in again.';

/** The 403 codes that mean the key behind a reseller token no longer works, so the token never will again. */
const REFUSED_KEY_CODES = new Set(['API_KEY_REVOKED', 'CLIENT_DEACTIVATED', 'INVALID_API_KEY']);

function refusedNotice(reason: string): string {
  return `Your session was ended: ${reason.replace(/\.?$/, '.')} Sign in again.`;
}

/** The stored session, or the notice that it expired while the page was closed. */
function readStored(): { session?: StoredSession; notice?: string } {
  let parsed: StoredSession | null;
  try {
    parsed = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? 'null') as StoredSession | null;
  } catch {
    parsed = null;
  }
  if (!parsed?.token || typeof parsed.expiresAt !== 'number') return {};
  if (parsed.expiresAt <= Date.now()) {
    localStorage.removeItem(STORAGE_KEY);
    return { notice: SESSION_EXPIRED };
  }
  return { session: parsed };
}

/** What a refused answer means for the session: the notice to sign in again with, or undefined if it is not refused. */
async function refusalOf(response: Response): Promise<string | undefined> {
  if (response.status !== 401 && response.status !== 403) return undefined;
  const body = (await response
    .clone()
    .json()
    .catch(() => ({}))) as { code?: string; message?: string };
  if (response.status === 401) {
    return body.code === 'TOKEN_EXPIRED' ? SESSION_EXPIRED : refusedNotice(body.message ?? 'the token was refused');
  }
  return body.code && REFUSED_KEY_CODES.has(body.code) ? refusedNotice(body.message ?? body.code) : undefined;
}

const SessionContext = createContext<Session | undefined>(undefined);

export function SessionProvider({
  children,
}: {
  children: (session: Session | undefined, notice: string | undefined) => ReactNode;
}) {
  const [state, setState] = useState(readStored);
  useEffect(() => {
    const reread = () => setState(readStored());
    window.addEventListener(SESSION_EVENT, reread);
    return () => window.removeEventListener(SESSION_EVENT, reread);
  }, []);
  const endSession = useCallback((notice?: string) => {
    localStorage.removeItem(STORAGE_KEY);
    setState({ notice });
  }, []);
  const signOut = useCallback(() => endSession(), [endSession]);
  const stored = state.session;

  // The token's own end: back to the sign-in page then, even on a page that makes no call and has no live socket.
  useEffect(() => {
    if (!stored) return;
    const left = stored.expiresAt - Date.now();
    if (left > MAX_TIMER_MS) return;
    const timer = setTimeout(() => endSession(SESSION_EXPIRED), Math.max(0, left));
    return () => clearTimeout(timer);
  }, [stored, endSession]);

  const session = useMemo<Session | undefined>(() => {
    if (!stored) return undefined;
    const api = createGatewayClient({ baseUrl, token: stored.token });
    // An expired or refused token ends the session with a notice, instead of failing every call.
    api.use({
      async onResponse({ response }) {
        const notice = await refusalOf(response);
        if (notice) endSession(notice);
        return response;
      },
    });
    const checkSession = () => {
      const check =
        stored.role === 'operator'
          ? api.GET('/api/admin/clients', { params: { query: { limit: 1 } } })
          : api.GET('/api/v1/whatsapp/reseller/sub-instances', { params: { query: { limit: 1 } } });
      // A network failure says nothing about the token: the live socket keeps retrying.
      check.catch(() => undefined);
    };
    return { ...stored, api, signOut, endSession, checkSession };
  }, [stored, signOut, endSession]);
  return <SessionContext.Provider value={session}>{children(session, state.notice)}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in page');
  return session;
}

/** The lifetime of a JWT (exp − iat, in seconds) read from its payload; undefined if it has none. */
function lifetimeOf(token: string): number | undefined {
  try {
    const payload = token.split('.')[1] ?? '';
    const claims = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))) as { exp?: number; iat?: number };
    return typeof claims.exp === 'number' && typeof claims.iat === 'number' ? claims.exp - claims.iat : undefined;
  } catch {
    return undefined;
  }
}

export async function signInOperator(username: string, password: string): Promise<void> {
  const api = createGatewayClient({ baseUrl });
  const { token } = await unwrap(api.POST('/api/login', { body: { username, password } }));
  // The admin login answers the token alone; its lifetime is in its claims (12 hours).
  const seconds = lifetimeOf(token) ?? 3600;
  store({ token, role: 'operator', name: username, expiresAt: Date.now() + seconds * 1000 });
}

export async function signInWithApiKey(apiKey: string): Promise<void> {
  const api = createGatewayClient({ baseUrl, apiKey });
  const answer = await unwrap(api.POST('/api/v1/auth/token', { body: { expires_in: CLIENT_SESSION_SECONDS } }));
  store({
    token: answer.token,
    role: 'client',
    name: `Client ${answer.client_id}`,
    expiresAt: Date.now() + answer.expires_in * 1000,
  });
}

function store(session: StoredSession): void {
  localStorage.setItem(STORAGE_KEY, JSON.stringify(session));
  window.dispatchEvent(new Event(SESSION_EVENT));
}

export interface LiveOptions {
  /** Only this instance's events. */
  instance?: string;
  /** False keeps the socket closed (an instance that does not exist would be refused at every retry). */
  enabled?: boolean;
  /**
   * Called each time the socket opens: events published while it was closed are not replayed, so the page reads
   * again what they would have changed.
   */
  onOpen?: () => void;
}

/**
 * Live events of the signed-in tenant (or one instance) over /ws, handed to `onEvent` as they arrive. The socket
 * reconnects by itself; the returned state says whether it is currently connected. A close for an expired or refused
 * token ends the session; so does a failed reconnect whose token the API then refuses (a browser is not told why an
 * upgrade was refused, so one HTTP call asks).
 */
export function useLiveEvents(
  onEvent: (event: LiveEvent) => void,
  { instance, enabled = true, onOpen }: LiveOptions = {},
): 'open' | 'connecting' {
  const { token, endSession, checkSession } = useSession();
  const handlers = useRef({ onEvent, onOpen, endSession, checkSession });
  handlers.current = { onEvent, onOpen, endSession, checkSession };
  const [state, setState] = useState<'open' | 'connecting'>('connecting');
  useEffect(() => {
    if (!enabled) return;
    const live = connectLiveEvents({
      baseUrl,
      token,
      instance,
      onEvent: (event) => handlers.current.onEvent(event),
      onStatus: (status, detail) => {
        setState(status === 'open' ? 'open' : 'connecting');
        if (status === 'open') handlers.current.onOpen?.();
        if (status === 'reconnecting') handlers.current.checkSession();
        if (status === 'stopped' && detail && (detail.code === 4401 || detail.code === 4403)) {
          const expired = detail.code === 4401 && /expired/i.test(detail.reason);
          handlers.current.endSession(expired ? SESSION_EXPIRED : refusedNotice(detail.reason || 'access refused'));
        }
      },
    });
    return () => live.close();
  }, [token, instance, enabled]);
  return state;
}

export { GatewayError, unwrap } from '../../client/src';
