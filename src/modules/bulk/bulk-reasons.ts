import { describeRestriction, Restriction } from '@/modules/instances/instance-restriction';

/** Why a bulk paused or stopped, as its `pause_reason` starts; code matches on these prefixes. */
export const DISCONNECTED_REASON = 'instance disconnected';
export const RESTRICTED_REASON = 'instance restricted';
export const DAILY_CAP_REASON = 'daily cap reached';
export const INSTANCE_DELETED_REASON = 'instance deleted';
export const UPSTREAM_DOWN_REASON = 'upstream down';
/** A skipped recipient's error: not on WhatsApp (send-bulk's check_numbers) or on the client's opt-out list. */
export const NOT_ON_WHATSAPP = 'not_on_whatsapp';
export const OPTED_OUT = 'opted_out';

/** Why a bulk paused on a restricted instance, and that it carries on by itself once the instance is open again. */
export function restrictedPauseReason(restriction: Restriction): string {
  return `${RESTRICTED_REASON}: ${describeRestriction(restriction)}; the bulk resumes when the instance is connected again`;
}

/** Why a bulk paused while its instance's server (upstream) is down, and that it carries on once it answers. */
export const UPSTREAM_DOWN_PAUSE_REASON =
  `${UPSTREAM_DOWN_REASON}: the WhatsApp server this instance is on does not answer; ` +
  'the bulk resumes when it answers again';
