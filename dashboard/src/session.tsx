import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useRef, useState } from 'react';
import { connectLiveEvents, createGatewayClient, type GatewayClient, type LiveEvent, unwrap } from '../../client/src';

/** Operators sign in with a username and password (admin JWT); clients with their API key (a reseller JWT). */
export type Role = 'operator' | 'client';

interface StoredSession {
  token: string;
  role: Role;
  name: string;
}

interface Session extends StoredSession {
  api: GatewayClient;
  signOut: () => void;
}

/** Only the session token and who it belongs to are kept; the API key and password never are. */
const STORAGE_KEY = 'nextmavens.session';
const baseUrl = window.location.origin;
/** Tells the provider a sign-in stored a new session. */
const SESSION_EVENT = 'nextmavens-session';

function readStored(): StoredSession | undefined {
  try {
    const parsed = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? 'null') as StoredSession | null;
    return parsed?.token ? parsed : undefined;
  } catch {
    return undefined;
  }
}

const SessionContext = createContext<Session | undefined>(undefined);

export function SessionProvider({ children }: { children: (session: Session | undefined) => ReactNode }) {
  const [stored, setStored] = useState(readStored);
  useEffect(() => {
    const reread = () => setStored(readStored());
    window.addEventListener(SESSION_EVENT, reread);
    return () => window.removeEventListener(SESSION_EVENT, reread);
  }, []);
  const signOut = useCallback(() => {
    localStorage.removeItem(STORAGE_KEY);
    setStored(undefined);
  }, []);
  const session = useMemo<Session | undefined>(() => {
    if (!stored) return undefined;
    const api = createGatewayClient({ baseUrl, token: stored.token });
    // An expired or revoked token signs the person out instead of failing every call.
    api.use({
      onResponse({ response }) {
        if (response.status === 401) signOut();
        return response;
      },
    });
    return { ...stored, api, signOut };
  }, [stored, signOut]);
  return <SessionContext.Provider value={session}>{children(session)}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in page');
  return session;
}

export async function signInOperator(username: string, password: string): Promise<void> {
  const api = createGatewayClient({ baseUrl });
  const { token } = await unwrap(api.POST('/api/login', { body: { username, password } }));
  store({ token, role: 'operator', name: username });
}

export async function signInWithApiKey(apiKey: string): Promise<void> {
  const api = createGatewayClient({ baseUrl, apiKey });
  const answer = await unwrap(api.POST('/api/v1/auth/token'));
  store({ token: answer.token, role: 'client', name: `Client ${answer.client_id}` });
}

function store(session: StoredSession): void {
  localStorage.setItem(STORAGE_KEY, JSON.stringify(session));
  window.dispatchEvent(new Event(SESSION_EVENT));
}

/**
 * Live events of the signed-in tenant (or one instance) over /ws, handed to `onEvent` as they arrive. The socket
 * reconnects by itself; the returned state says whether it is currently connected.
 */
export function useLiveEvents(onEvent: (event: LiveEvent) => void, instance?: string): 'open' | 'connecting' {
  const { token } = useSession();
  const handler = useRef(onEvent);
  handler.current = onEvent;
  const [state, setState] = useState<'open' | 'connecting'>('connecting');
  useEffect(() => {
    const live = connectLiveEvents({
      baseUrl,
      token,
      instance,
      onEvent: (event) => handler.current(event),
      onStatus: (status) => setState(status === 'open' ? 'open' : 'connecting'),
    });
    return () => live.close();
  }, [token, instance]);
  return state;
}

export { GatewayError, unwrap } from '../../client/src';
