import { AppError } from '@/common/errors/app-error';

/** What went wrong upstream, independent of how the upstream happened to say it (contract §3). */
export type EvolutionErrorKind =
  | 'instance_not_found'
  | 'name_taken'
  | 'not_on_whatsapp'
  | 'unsupported_media'
  | 'connection_closed'
  | 'unauthorized'
  | 'bad_request'
  | 'upstream_error'
  | 'timeout'
  | 'unreachable'
  | 'upstream_down';

const GATEWAY_STATUS: Record<EvolutionErrorKind, number> = {
  instance_not_found: 404,
  name_taken: 409,
  not_on_whatsapp: 400,
  unsupported_media: 400,
  connection_closed: 409,
  // A rejected token is the gateway's problem, not the caller's: after auto-heal fails it is a bad gateway.
  unauthorized: 502,
  bad_request: 400,
  upstream_error: 502,
  timeout: 504,
  unreachable: 502,
  // The instance's server is known to be down (its circuit is open): refused at once, without a call.
  upstream_down: 503,
};

/**
 * A failed upstream call, already mapped to the gateway's status and a message safe to show a tenant
 * (never the upstream's raw body).
 */
export class EvolutionError extends AppError {
  constructor(
    readonly kind: EvolutionErrorKind,
    message: string,
    /** The upstream's HTTP status; 0 when no answer came. */
    readonly upstreamStatus: number,
    /** Whether the same call may succeed later (timeouts, 5xx, an unreachable upstream). */
    readonly retryable: boolean,
  ) {
    // UPSTREAM_NOT_ON_WHATSAPP, UPSTREAM_TIMEOUT ...; upstream_error and upstream_down are UPSTREAM_ERROR, UPSTREAM_DOWN.
    super(
      GATEWAY_STATUS[kind],
      kind.startsWith('upstream_') ? kind.toUpperCase() : `UPSTREAM_${kind.toUpperCase()}`,
      message,
    );
  }

  /** No answer came in time: the call may still have done its work (a send may have reached WhatsApp). */
  get outcomeUnknown(): boolean {
    return this.kind === 'timeout';
  }
}
