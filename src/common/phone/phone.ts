import { CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js/max';

/** A recipient the upstream understands: digits with the country code, or a JID passed through as given. */
export interface Recipient {
  /** What is sent upstream: `254712345678`, `120363…@g.us` or `…@s.whatsapp.net`. */
  value: string;
  kind: 'phone' | 'group' | 'jid';
}

export type RecipientResult = { ok: true; recipient: Recipient } | { ok: false; reason: string };

const GROUP_JID = /^\d{5,}(-\d+)?@g\.us$/;
const USER_JID = /^\d{5,20}(:\d+)?@(s\.whatsapp\.net|lid)$/;
/** Spaces, dashes, dots and brackets people type inside phone numbers. */
const FORMATTING = /[\s\-().]/g;

/**
 * Normalises what a client typed as a recipient (design.md): `0712345678`, `+254712345678` and `254712345678` all
 * become `254712345678` with Kenya as the default country; group and user JIDs pass through.
 */
export function normalizeRecipient(input: string, defaultCountry: string): RecipientResult {
  const trimmed = input.trim();
  if (GROUP_JID.test(trimmed)) return { ok: true, recipient: { value: trimmed, kind: 'group' } };
  if (USER_JID.test(trimmed)) return { ok: true, recipient: { value: trimmed, kind: 'jid' } };
  if (trimmed.includes('@'))
    return { ok: false, reason: `"${trimmed}" is not a WhatsApp JID (expected digits@s.whatsapp.net or digits@g.us)` };

  const compact = trimmed.replace(FORMATTING, '');
  if (!/^\+?\d+$/.test(compact))
    return {
      ok: false,
      reason: `"${trimmed}" is not a phone number: use digits with the country code, e.g. 254712345678`,
    };
  if (compact.replace('+', '').length < 7)
    return { ok: false, reason: `"${trimmed}" is too short to be a phone number` };

  // National reading first (0712345678, 712345678, and 254712345678, which the library recognises), then the
  // digits as an international number without its "+" (14155552671).
  const candidates = compact.startsWith('+')
    ? [parse(compact)]
    : [parse(compact, defaultCountry), parse(`+${compact}`)];
  const valid = candidates.find((c) => c !== undefined);
  if (!valid)
    return { ok: false, reason: `"${trimmed}" is not a valid phone number (default country ${defaultCountry})` };
  return { ok: true, recipient: { value: valid, kind: 'phone' } };
}

function parse(text: string, country?: string): string | undefined {
  const parsed = parsePhoneNumberFromString(text, country as CountryCode | undefined);
  return parsed?.isValid() ? parsed.number.slice(1) : undefined;
}
