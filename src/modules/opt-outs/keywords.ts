import { isRecord } from '@/common/validation/is-record';

export const DEFAULT_OPT_OUT_KEYWORDS = ['STOP', 'UNSUBSCRIBE', 'STOPALL', 'CANCEL', 'END', 'QUIT'];
export const DEFAULT_OPT_IN_KEYWORDS = ['START', 'UNSTOP'];

/** How a keyword is compared: trimmed, any case. Keywords are stored in this form. */
export function keywordForm(text: string): string {
  return text.trim().toUpperCase();
}

export interface KeywordMatch {
  /** The keyword as configured (upper case). */
  keyword: string;
  optedOut: boolean;
}

/** Whether an inbound text is one of the client's keywords. Opt-out wins if an operator put a word in both lists. */
export function matchKeyword(
  text: string,
  keywords: { optOut: readonly string[]; optIn: readonly string[] },
): KeywordMatch | null {
  const form = keywordForm(text);
  if (form === '' || form.length > 64) return null;
  if (keywords.optOut.includes(form)) return { keyword: form, optedOut: true };
  if (keywords.optIn.includes(form)) return { keyword: form, optedOut: false };
  return null;
}

/** A person's phone JID (`254712345678@s.whatsapp.net`, with or without a device suffix): its digits, else null. */
export function phoneOfJid(jid: unknown): string | null {
  if (typeof jid !== 'string') return null;
  const match = /^(\d{5,20})(?::\d+)?@s\.whatsapp\.net$/.exec(jid);
  return match ? match[1]! : null;
}

/**
 * The sender's number and text of an inbound `messages.upsert` (contract §4.4): a plain or extended text message,
 * not sent by the instance itself (`fromMe`), from a person rather than a group or broadcast. A sender known only by
 * its LID (`…@lid`) is read from `remoteJidAlt` (or `senderPn`), where Baileys 7 puts the phone JID. Null for
 * anything else.
 */
export function inboundText(data: Record<string, unknown>): { number: string; text: string } | null {
  const key = isRecord(data.key) ? data.key : {};
  if (key.fromMe === true || typeof key.remoteJid !== 'string' || /@(g\.us|broadcast)$/.test(key.remoteJid))
    return null;
  const number = phoneOfJid(key.remoteJid) ?? phoneOfJid(key.remoteJidAlt) ?? phoneOfJid(key.senderPn);
  if (!number) return null;
  const message = isRecord(data.message) ? data.message : {};
  const extended = isRecord(message.extendedTextMessage) ? message.extendedTextMessage : {};
  const text = typeof message.conversation === 'string' ? message.conversation : extended.text;
  return typeof text === 'string' ? { number, text } : null;
}
