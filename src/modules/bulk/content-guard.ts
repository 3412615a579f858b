/** `{{name}}` placeholders in a bulk message, filled from each recipient's variables. */
const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/** WhatsApp's longest text message, in characters; a filled-in bulk text may not exceed it either. */
export const MAX_TEXT_LENGTH = 65536;

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

/** Any shortener's host followed by a path, not merely letters inside a longer host or path; compiled once. */
const SHORTENER_LINK = new RegExp(
  `(?:^|[^\\w.-])(${URL_SHORTENERS.map((host) => host.replace(/\./g, '\\.')).join('|')})/`,
  'i',
);

/** More identical texts than this in one bulk earn a warning (the reference's content-variation rule). */
export const IDENTICAL_TEXT_LIMIT = 10;

export type Variables = Record<string, string | number>;

/**
 * A recipient's value for a placeholder, as the text shows it; undefined when the recipient has none. Only the
 * object's own keys count: `{{constructor}}` must not be filled from Object.prototype.
 */
function valueOf(variables: Variables | undefined, name: string): string | undefined {
  return variables && Object.hasOwn(variables, name) ? String(variables[name]) : undefined;
}
export type Rendered = { ok: true; text: string } | { ok: false; reason: string };

/**
 * A bulk message parsed once. A bulk keeps the template and each recipient's variables, never the filled-in texts:
 * checks read the template and the variables, and the text is rendered only when the recipient is sent.
 */
export class BulkTemplate {
  /** Each placeholder occurrence, in order (a name may repeat). */
  private readonly occurrences: string[];
  private readonly names: string[];
  /** The template's length without its placeholders. */
  private readonly fixedLength: number;

  constructor(readonly text: string) {
    const matches = [...text.matchAll(PLACEHOLDER)];
    this.occurrences = matches.map((m) => m[1]!);
    this.names = [...new Set(this.occurrences)];
    this.fixedLength = text.length - matches.reduce((sum, m) => sum + m[0].length, 0);
  }

  /** Whether the recipient's variables fill every placeholder and the filled text stays within WhatsApp's limit. */
  check(variables: Variables | undefined): { ok: true } | { ok: false; reason: string } {
    const missing = this.names.find((name) => valueOf(variables, name) === undefined);
    if (missing) return { ok: false, reason: `variables.${missing}: is missing for this recipient` };
    const length = this.occurrences.reduce((sum, name) => sum + valueOf(variables, name)!.length, this.fixedLength);
    if (length > MAX_TEXT_LENGTH)
      return {
        ok: false,
        reason: `the filled-in text is ${length} characters; WhatsApp takes at most ${MAX_TEXT_LENGTH}`,
      };
    return { ok: true };
  }

  render(variables: Variables | undefined): Rendered {
    const checked = this.check(variables);
    if (!checked.ok) return checked;
    return { ok: true, text: this.text.replace(PLACEHOLDER, (_, name: string) => valueOf(variables, name)!) };
  }

  /** The values this recipient's text depends on, as the text shows them: the same text gets the same key. */
  textKey(variables: Variables | undefined): string {
    return JSON.stringify(this.names.map((name) => valueOf(variables, name)));
  }

  /** The variables the text uses (others never reach WhatsApp). */
  usedValues(variables: Variables | undefined): string[] {
    return this.names.map((name) => valueOf(variables, name) ?? '');
  }
}

/**
 * Content warnings over a bulk's accepted recipients, gathered one recipient at a time: one text to many recipients,
 * and links through known shorteners in the template or a variable.
 */
export class ContentScan {
  private readonly textCounts = new Map<string, number>();
  private shortener: string | undefined;

  constructor(private readonly template: BulkTemplate) {
    this.shortener = shortenerIn(template.text);
  }

  add(variables: Variables | undefined): void {
    const key = this.template.textKey(variables);
    this.textCounts.set(key, (this.textCounts.get(key) ?? 0) + 1);
    if (!this.shortener) this.shortener = this.template.usedValues(variables).map(shortenerIn).find(Boolean);
  }

  warnings(): string[] {
    const warnings: string[] = [];
    const most = Math.max(0, ...this.textCounts.values());
    if (most > IDENTICAL_TEXT_LIMIT) {
      warnings.push(
        `The same text goes to ${most} recipients; WhatsApp flags identical messages sent to more than ${IDENTICAL_TEXT_LIMIT} people. Vary it with {{name}}-style placeholders.`,
      );
    }
    if (this.shortener) {
      warnings.push(
        `The message links through the URL shortener ${this.shortener}; WhatsApp blocks shortened links aggressively. Use the full URL.`,
      );
    }
    return warnings;
  }
}

function shortenerIn(text: string): string | undefined {
  return SHORTENER_LINK.exec(text)?.[1]?.toLowerCase();
}
