/** Why a bulk paused or stopped, as its `pause_reason` starts; code matches on these prefixes. */
export const DISCONNECTED_REASON = 'instance disconnected';
export const DAILY_CAP_REASON = 'daily cap reached';
export const INSTANCE_DELETED_REASON = 'instance deleted';
/** A skipped recipient's error: not on WhatsApp (send-bulk's check_numbers) or on the client's opt-out list. */
export const NOT_ON_WHATSAPP = 'not_on_whatsapp';
export const OPTED_OUT = 'opted_out';
