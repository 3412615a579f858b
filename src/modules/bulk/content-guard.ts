/** `{{name}}` placeholders in a bulk message, filled from each recipient's variables. */
const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/** Link shorteners WhatsApp treats as spam signals (the reference's "No URL shorteners" rule). */
export const URL_SHORTENERS = [
  'bit.ly',
  'tinyurl.com',
  't.co',
  'goo.gl',
  'ow.ly',
  'is.gd',
  'buff.ly',
  'cutt.ly',
  'rebrand.ly',
  'shorturl.at',
  'rb.gy',
  'tiny.cc',
  't.ly',
  's.id',
  'bl.ink',
  'lnkd.in',
];

/** More identical texts than this in one bulk earn a warning (the reference's content-variation rule). */
export const IDENTICAL_TEXT_LIMIT = 10;

export type Rendered = { ok: true; text: string } | { ok: false; reason: string };

export function placeholders(template: string): string[] {
  return [...new Set([...template.matchAll(PLACEHOLDER)].map((m) => m[1]!))];
}

export function render(template: string, variables: Record<string, string | number> | undefined): Rendered {
  for (const name of placeholders(template)) {
    if (variables?.[name] === undefined) return { ok: false, reason: `variables.${name}: is missing for this recipient` };
  }
  return { ok: true, text: template.replace(PLACEHOLDER, (_, name: string) => String(variables![name])) };
}

/** Warnings for the accepted texts: one text to many recipients, and links through known shorteners. */
export function contentWarnings(texts: string[]): string[] {
  const warnings: string[] = [];
  const counts = new Map<string, number>();
  for (const text of texts) counts.set(text, (counts.get(text) ?? 0) + 1);
  const most = Math.max(0, ...counts.values());
  if (most > IDENTICAL_TEXT_LIMIT) {
    warnings.push(
      `The same text goes to ${most} recipients; WhatsApp flags identical messages sent to more than ${IDENTICAL_TEXT_LIMIT} people. Vary it with {{name}}-style placeholders.`,
    );
  }
  const shortener = URL_SHORTENERS.find((host) => texts.some((t) => new RegExp(`(^|[^\\w.-])${host.replace('.', '\\.')}/`, 'i').test(t)));
  if (shortener) warnings.push(`The message links through the URL shortener ${shortener}; WhatsApp blocks shortened links aggressively. Use the full URL.`);
  return warnings;
}
