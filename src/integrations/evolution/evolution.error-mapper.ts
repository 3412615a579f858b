import { isRecord } from '@/common/validation/is-record';
import { EvolutionError } from './evolution.errors';
import { UpstreamErrorEnvelope } from './evolution.types';

/** The upstream's catch blocks stringify exception objects into this (contract §0). */
export const OBJECT_OBJECT = '[object Object]';

/** The upstream nests messages in arrays of arrays and sometimes objects; flatten to the useful strings and objects. */
function flattenMessages(value: unknown): unknown[] {
  if (Array.isArray(value)) return value.flatMap(flattenMessages);
  if (value === undefined || value === null || value === '') return [];
  return [value];
}

/** Message items of an error body: `response.message` in the global envelope, `message` in the un-enveloped shapes. */
export function upstreamMessages(body: unknown): unknown[] {
  if (!isRecord(body)) return typeof body === 'string' && body !== '' ? [body] : [];
  const envelope = body as UpstreamErrorEnvelope;
  return flattenMessages(envelope.response?.message ?? envelope.message ?? boomMessage(body));
}

/**
 * A Baileys error serialized as it is thrown (a Boom): `{isBoom: true, output: {payload: {message}}}`, which the
 * number-check route answers as its 400 body (contract §2.3), e.g. "Connection Closed" when the session is down.
 */
function boomMessage(body: Record<string, unknown>): unknown {
  if (body.isBoom !== true || !isRecord(body.output) || !isRecord(body.output.payload)) return undefined;
  return body.output.payload.message;
}

/** Human-readable text of an upstream error, without the raw body and without "[object Object]". */
export function upstreamText(body: unknown): string | undefined {
  const parts = upstreamMessages(body)
    .map((m) => {
      if (typeof m === 'string') return m;
      if (isRecord(m) && typeof m.message === 'string') {
        return typeof m.property === 'string' ? `${m.property}: ${m.message}` : m.message;
      }
      return undefined;
    })
    .filter((m): m is string => m !== undefined && m.trim() !== '' && m.trim() !== OBJECT_OBJECT)
    .map((m) => m.replace(/^Error:\s*/, '').slice(0, 300));
  return parts.length > 0 ? parts.join('; ') : undefined;
}

/** Numbers the upstream said are not on WhatsApp: 400 `[{jid, exists:false, number}]` (contract §3). */
function notOnWhatsApp(body: unknown): string[] {
  return upstreamMessages(body)
    .filter((m): m is Record<string, unknown> => isRecord(m) && m.exists === false)
    .map((m) => scalarText(m.number ?? m.jid).replace(/@.*$/, ''));
}

export interface FailureContext {
  /** What the gateway was doing, for the message: "send a text", "create the instance". */
  operation: string;
  instanceName?: string;
  /** The request field that carried the file of a media send, named when the upstream cannot process the file. */
  mediaField?: string;
}

/**
 * The upstream re-encodes an image (and converts a sticker) with sharp before it sends anything, and answers a file
 * sharp cannot read with a 500 carrying sharp's message: `["Error: Input buffer contains unsupported image format"]`
 * from sendMedia (wrapped in an InternalServerErrorException), the bare string from sendSticker (contract §2.2; the
 * upstream's prepareMediaMessage and convertToWebP). It is the file's fault, not the server's.
 */
const UNSUPPORTED_IMAGE = /unsupported image format/i;

/**
 * An instance the upstream never connected has no WhatsApp socket yet, so a call that needs one fails reading the
 * socket's method off `undefined` (contract §12): 500 "Cannot read properties of undefined (reading 'onWhatsApp')" for
 * a send, the same inside the route's wrapper for media, reads, deletes and groups. To the user it is not connected.
 */
const NO_SOCKET =
  /Cannot read properties of undefined \(reading '(onWhatsApp|waUploadToServer|sendMessage|readMessages|groupCreate|groupParticipantsUpdate)'\)/;

function namesTaken(text: string | undefined): boolean {
  return /already in use/i.test(text ?? '');
}

/**
 * Whether the upstream refused the key it was given: 401, or a 403 other than the create route's "name in use"
 * (contract §1 says a wrong token gets 401; a 403 is treated alike, as the design's auto-heal asks).
 */
export function rejectsCredentials(status: number, body: unknown): boolean {
  return status === 401 || (status === 403 && !namesTaken(upstreamText(body)));
}

/** Maps an upstream HTTP answer that is not a success to a typed error (contract §3 table). */
export function mapUpstreamResponse(status: number, body: unknown, ctx: FailureContext): EvolutionError {
  const name = ctx.instanceName ? `"${ctx.instanceName}"` : 'the instance';
  const text = upstreamText(body);
  const closed = /connection closed/i.test(text ?? '') || NO_SOCKET.test(text ?? '');

  if (status === 404) {
    return new EvolutionError(
      'instance_not_found',
      `Instance ${name} does not exist on the WhatsApp server`,
      status,
      false,
    );
  }
  if (status === 403 && namesTaken(text)) {
    return new EvolutionError('name_taken', `Instance name ${name} is already in use`, status, false);
  }
  if (rejectsCredentials(status, body)) {
    return new EvolutionError(
      'unauthorized',
      `The WhatsApp server rejected the gateway's credentials for ${name}`,
      status,
      false,
    );
  }
  const missing = notOnWhatsApp(body);
  if (status === 400 && missing.length > 0) {
    return new EvolutionError('not_on_whatsapp', `number: ${missing.join(', ')} is not on WhatsApp`, status, false);
  }
  if (UNSUPPORTED_IMAGE.test(text ?? '')) {
    const reason = 'could not process this file (unsupported image format)';
    const message = ctx.mediaField
      ? `${ctx.mediaField}: the WhatsApp server ${reason}`
      : `The WhatsApp server ${reason}`;
    return new EvolutionError('unsupported_media', message, status, false);
  }
  if (closed) {
    return new EvolutionError(
      'connection_closed',
      `Instance ${name} is not connected to WhatsApp; reconnect it by scanning a new QR code`,
      status,
      true,
    );
  }
  if (status >= 400 && status < 500) {
    const reason = text ?? 'the request was rejected';
    return new EvolutionError(
      'bad_request',
      `The WhatsApp server could not ${ctx.operation}: ${reason}`,
      status,
      false,
    );
  }
  // A 5xx text is the upstream's internals ("Cannot read properties of undefined…"): not for tenants.
  return new EvolutionError('upstream_error', `The WhatsApp server failed to ${ctx.operation}`, status, true);
}

/** Maps a call that got no HTTP answer (network error, timeout). */
export function mapTransportFailure(err: unknown, ctx: FailureContext): EvolutionError {
  const code = isRecord(err) ? scalarText(err.code) : '';
  const name = isRecord(err) ? scalarText(err.name) : '';
  const timedOut =
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT' ||
    code === 'ECONNABORTED' ||
    code === 'ETIMEDOUT' ||
    name === 'TimeoutError' ||
    name === 'AbortError';
  if (timedOut) {
    return new EvolutionError(
      'timeout',
      `The WhatsApp server did not answer in time while trying to ${ctx.operation}`,
      0,
      true,
    );
  }
  return new EvolutionError('unreachable', `The WhatsApp server is unreachable (${code || 'network error'})`, 0, true);
}

/**
 * connect/restart answer HTTP 200 `{error: true, message}` on failure (contract §2.1); treat that as the failure it is.
 */
export function embeddedError(body: unknown, ctx: FailureContext): EvolutionError | undefined {
  if (!isRecord(body) || body.error !== true) return undefined;
  const text = upstreamText(body);
  if (/connection closed/i.test(text ?? '')) return mapUpstreamResponse(500, body, ctx);
  const name = ctx.instanceName ? `"${ctx.instanceName}"` : 'the instance';
  return new EvolutionError(
    'upstream_error',
    `The WhatsApp server failed to ${ctx.operation} for ${name}${text ? `: ${text}` : '; check that the instance is connected'}`,
    200,
    true,
  );
}

/** A string or number field as text; anything else (absent, an object) as ''. */
function scalarText(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : '';
}
