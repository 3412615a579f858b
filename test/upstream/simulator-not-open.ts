import { badRequest, HttpError, internalError, internalErrorList } from './simulator-http';
import type { SendAction } from './simulator-schemas';
import { SimInstance } from './simulator-state';

/*
 * What the upstream answers when a call needs the WhatsApp socket of an instance that is not open (contract §3, §12).
 * Two cases differ: an instance that was never connected has no socket at all, so the first Baileys method the route
 * reaches is read off `undefined` (a TypeError); one with a socket that is down (retrying, logged out, dropped) makes
 * Baileys throw its "Connection Closed" Boom. Each route's own catch then shapes the answer: a raw error renders as a
 * 500 with a string message, an `InternalServerErrorException(error.toString())` as a 500 with an array, and so on.
 */

type Socketed = Pick<SimInstance, 'hasSocket'>;

/** Baileys' Boom `toString()`, as the catch blocks that re-wrap errors render it. */
export const CONNECTION_CLOSED = 'Error: Connection Closed';

/** The TypeError's message when the route reaches `client.<method>` with no client. */
function missingSocket(method: string): string {
  return `Cannot read properties of undefined (reading '${method}')`;
}

/** The thrown error as a catch's `error.toString()` renders it. */
export function socketErrorText(inst: Socketed, method: string): string {
  return inst.hasSocket ? CONNECTION_CLOSED : `TypeError: ${missingSocket(method)}`;
}

/**
 * A send on an instance that is not open. sendMedia uploads the file before anything else (its catch answers 500 with
 * an array); every other send first checks the number with `onWhatsApp` outside any catch (a raw 500). Group,
 * broadcast and `@lid` targets skip that check and fail in the send itself, whose catch answers 400 with an array.
 */
export function sendRefusal(inst: Socketed, action: SendAction, numberChecked: boolean): HttpError {
  if (action === 'sendMedia') return internalErrorList(socketErrorText(inst, 'waUploadToServer'));
  if (!numberChecked) return badRequest(socketErrorText(inst, 'sendMessage'));
  return internalError(inst.hasSocket ? 'Connection Closed' : missingSocket('onWhatsApp'));
}

/**
 * contract §2.3, §12: whatsappNumbers answers 400 with the thrown error serialized as it is: the Boom's fields when the
 * socket is down, `{}` for the TypeError of an instance never connected (an Error has no enumerable fields).
 */
export function numberCheckRefusal(inst: Socketed): HttpError {
  if (!inst.hasSocket) return new HttpError(400, {});
  const payload = { statusCode: 428, error: 'Precondition Required', message: 'Connection Closed' };
  return new HttpError(400, {
    data: null,
    isBoom: true,
    isServer: false,
    output: { statusCode: 428, payload, headers: {} },
  });
}

/**
 * contract §12: fetchAllGroups has no catch: `Object.values()` of the missing client's answer throws for an instance
 * never connected, and the Boom does for one whose socket is down; both render as a raw 500.
 */
export function groupListRefusal(inst: Socketed): HttpError {
  return internalError(inst.hasSocket ? 'Connection Closed' : 'Cannot convert undefined or null to object');
}

/**
 * What a fault with `connectionClosed` answers on a path: the answer of an instance whose socket went down, as above.
 * Routes not listed fail as a raw Boom would.
 */
export function connectionClosedFault(pathname: string): HttpError {
  const route = pathname.toLowerCase();
  if (route.startsWith('/message/sendmedia/')) return internalErrorList(CONNECTION_CLOSED);
  if (route.startsWith('/chat/whatsappnumbers/')) return numberCheckRefusal({ hasSocket: true });
  return internalError('Connection Closed');
}
