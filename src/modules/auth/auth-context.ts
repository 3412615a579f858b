/** Who a request acts for, set by the guards on `request.auth`. */
export type Credential = 'client-key' | 'instance-key' | 'reseller-jwt' | 'master-key';

/** The client's limits as of this request, read with its credentials. */
export interface ClientLimits {
  rateLimit: number;
  dailyCap: number;
  sendIntervalMs: number;
  jitterMinMs: number;
  jitterMaxMs: number;
  strictContentGuard: boolean;
  /** The operator allowed `sendIntervalMs` below 1000 ms on WhatsApp Web instances. */
  pacingOverride: boolean;
}

export interface ClientAuth {
  clientId: number;
  via: Credential;
  /** Set when an instance key authenticated the request: it may touch that instance only. */
  instanceId?: string;
  /** The API key behind the request (directly, or the key that minted its reseller token). */
  keyId: number;
  limits: ClientLimits;
}

export function limitsOf(client: ClientLimits): ClientLimits {
  const { rateLimit, dailyCap, sendIntervalMs, jitterMinMs, jitterMaxMs, strictContentGuard, pacingOverride } = client;
  return { rateLimit, dailyCap, sendIntervalMs, jitterMinMs, jitterMaxMs, strictContentGuard, pacingOverride };
}

export interface AdminAuth {
  adminId: number;
  username: string;
}

/** The reference's lifetime of a reseller JWT, and the longest a caller may ask for. */
export const RESELLER_TOKEN_TTL_SECONDS = 30 * 24 * 3600;
/** The shortest reseller JWT a caller may ask for: shorter ones would expire between a page's first calls. */
export const MIN_RESELLER_TOKEN_TTL_SECONDS = 300;
export const ADMIN_TOKEN_TTL_SECONDS = 12 * 3600;

/** JWT claims. `typ` keeps an admin token from passing as a reseller token and back. */
export interface ResellerClaims {
  typ: 'reseller';
  sub: string;
  client_id: number;
  /** The client key that minted the token: revoking or expiring that key ends the token too. */
  kid: number;
}

export interface AdminClaims {
  typ: 'admin';
  sub: string;
  username: string;
}
