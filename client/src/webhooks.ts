/**
 * Verifies a tenant webhook delivery the gateway signed (Standard Webhooks: `webhook-id`, `webhook-timestamp`,
 * `webhook-signature: v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`, the key being the base64 part of the
 * `whsec_` secret). Uses Web Crypto, so it runs in Node 20+, Deno, Bun, workers and browsers alike.
 */
export interface WebhookHeaders {
  'webhook-id'?: string | null;
  'webhook-timestamp'?: string | null;
  'webhook-signature'?: string | null;
}

/** Deliveries older or newer than this are refused: a captured delivery cannot be replayed later. */
const DEFAULT_TOLERANCE_SECONDS = 5 * 60;

function base64ToBytes(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function bytesToBase64(bytes: ArrayBuffer): string {
  let binary = '';
  for (const byte of new Uint8Array(bytes)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** Compares without returning early, so the time taken says nothing about how much of a signature matched. */
function sameText(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}

/**
 * True when `body` (the raw request body, exactly as received) carries a valid signature for `secret` and a
 * timestamp within the tolerance. During a secret rotation the gateway signs with both secrets; either verifies.
 */
export async function verifyWebhook(
  secret: string,
  headers: WebhookHeaders | Headers,
  body: string,
  options: { toleranceSeconds?: number; now?: Date } = {},
): Promise<boolean> {
  const header = (name: keyof WebhookHeaders) =>
    headers instanceof Headers ? headers.get(name) : (headers[name] ?? null);
  const id = header('webhook-id');
  const timestamp = header('webhook-timestamp');
  const signatures = header('webhook-signature');
  if (!id || !timestamp || !signatures || !/^\d+$/.test(timestamp)) return false;
  const nowSeconds = Math.floor((options.now ?? new Date()).getTime() / 1000);
  if (Math.abs(nowSeconds - Number(timestamp)) > (options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS)) return false;

  const key = await crypto.subtle.importKey(
    'raw',
    base64ToBytes(secret.replace(/^whsec_/, '')),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const signed = await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(`${id}.${timestamp}.${body}`));
  const expected = bytesToBase64(signed);
  return signatures
    .split(' ')
    .filter((entry) => entry.startsWith('v1,'))
    .some((entry) => sameText(entry.slice(3), expected));
}
