import { describeRestriction, Restriction } from '@/modules/instances/instance-restriction';

/** Why a bulk paused or stopped, as its `pause_reason` starts; code matches on these prefixes. */
export const DISCONNECTED_REASON = 'instance disconnected';
export const RESTRICTED_REASON = 'instance restricted';
export const DAILY_CAP_REASON = 'daily cap reached';
export const INSTANCE_DELETED_REASON = 'instance deleted';
/** A skipped recipient's error: not on WhatsApp (send-bulk's check_numbers) or on the client's opt-out list. */
export const NOT_ON_WHATSAPP = 'not_on_whatsapp';
export const OPTED_OUT = 'opted_out';

/** Why a bulk paused on a restricted instance, and that it carries on by itself once the instance is open again. */
export function restrictedPauseReason(restriction: Restriction): string {
  return `${RESTRICTED_REASON}: ${describeRestriction(restriction)}; the bulk resumes when the instance is connected again`;
}
