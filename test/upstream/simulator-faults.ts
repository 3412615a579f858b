import { envelope, HttpError, reasonPhrase, SimResponse } from './simulator-http';
import { connectionClosedFault } from './simulator-not-open';

/**
 * A fault fails the next `count` calls matching `route` ("<METHOD> <path prefix or glob>", method
 * optional or `*`). The path matches whole segments: `/instance/connect` does not match
 * `/instance/connectionState/x`. In a glob, `*` is one segment's characters and `**` anything.
 */
export interface FaultSpec {
  route: string;
  count?: number;
  status?: number;
  body?: unknown;
  /** Hang this long, then drop the socket without answering (a gateway timeout / reset). */
  timeoutMs?: number;
  /** Answer as usual, this many ms late (a slow upstream); the call itself does what it always does. */
  delayMs?: number;
  /** contract §12: answer as the route does once the instance's socket is down (see connectionClosedFault). */
  connectionClosed?: boolean;
}

export interface FaultView {
  id: number;
  route: string;
  method: string;
  pattern: string;
  remaining: number;
  hits: number;
  status?: number;
  body?: unknown;
  timeoutMs?: number;
  delayMs?: number;
  connectionClosed?: boolean;
}

export type FaultOutcome =
  { kind: 'hang'; ms: number } | { kind: 'late'; ms: number } | { kind: 'respond'; response: SimResponse };

interface Fault {
  view: FaultView;
  regex: RegExp;
}

export class FaultSpecError extends Error {}

export class FaultRegistry {
  private faults: Fault[] = [];
  private nextId = 1;

  add(spec: FaultSpec): FaultView {
    const { method, pattern } = parseRoute(spec.route);
    const view: FaultView = {
      id: this.nextId++,
      route: spec.route,
      method,
      pattern,
      remaining: checkCount(spec.count),
      hits: 0,
      ...optionalStatus(spec.status),
      ...(spec.body !== undefined ? { body: spec.body } : {}),
      ...optionalTimeout(spec.timeoutMs),
      ...optionalDelay(spec.delayMs),
      ...(spec.connectionClosed ? { connectionClosed: true } : {}),
    };
    this.faults.push({ view, regex: patternRegex(pattern) });
    return { ...view };
  }

  /** Consumes one use of the first fault matching this call, if any. */
  take(method: string, pathname: string): FaultView | undefined {
    const fault = this.faults.find(
      (f) => (f.view.method === '*' || f.view.method === method) && f.regex.test(pathname),
    );
    if (!fault) return undefined;
    fault.view.remaining -= 1;
    fault.view.hits += 1;
    if (fault.view.remaining <= 0) this.faults = this.faults.filter((f) => f !== fault);
    return { ...fault.view };
  }

  list(): FaultView[] {
    return this.faults.map((f) => ({ ...f.view }));
  }

  clear(): number {
    const cleared = this.faults.length;
    this.faults = [];
    return cleared;
  }
}

/** What a triggered fault does to the call. */
export function faultOutcome(fault: FaultView, pathname: string): FaultOutcome {
  if (fault.timeoutMs !== undefined) return { kind: 'hang', ms: fault.timeoutMs };
  if (fault.delayMs !== undefined) return { kind: 'late', ms: fault.delayMs };
  if (fault.connectionClosed) return { kind: 'respond', response: fromError(connectionClosedFault(pathname)) };
  const status = fault.status ?? 500;
  // contract §1/§0: a default body in the upstream's envelope ("Unauthorized" is a string for 401).
  const defaultBody = status === 401 ? envelope(401, 'Unauthorized') : envelope(status, [reasonPhrase(status)]);
  return { kind: 'respond', response: { status, body: fault.body !== undefined ? fault.body : defaultBody } };
}

function fromError(error: HttpError): SimResponse {
  return { status: error.status, body: error.body };
}

function parseRoute(route: unknown): { method: string; pattern: string } {
  if (typeof route !== 'string' || route.trim() === '') throw new FaultSpecError('"route" must be "<METHOD> <path>"');
  const parts = route.trim().split(/\s+/);
  const [first, second] = parts;
  if (parts.length > 2 || first === undefined) throw new FaultSpecError('"route" must be "<METHOD> <path>"');
  const method = second === undefined ? '*' : first.toUpperCase();
  const path = second ?? first;
  if (!/^(\*|[A-Z]+)$/.test(method) || !path.startsWith('/')) {
    throw new FaultSpecError('"route" must be "<METHOD> <path>" with a path starting with "/"');
  }
  return { method, pattern: path.length > 1 ? path.replace(/\/+$/, '') : path };
}

function patternRegex(pattern: string): RegExp {
  const body = pattern
    .split(/(\*\*|\*)/)
    .map((part) => (part === '**' ? '.*' : part === '*' ? '[^/]*' : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  // Whole segments only: the pattern, optionally followed by more segments (and an optional trailing slash).
  return pattern === '/' ? /^\/.*$/ : new RegExp(`^${body}(?:/.*)?$`, 'i');
}

function checkCount(count: unknown): number {
  if (count === undefined) return 1;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1) {
    throw new FaultSpecError('"count" must be a positive integer');
  }
  return count;
}

function optionalStatus(status: unknown): { status?: number } {
  if (status === undefined) return {};
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599) {
    throw new FaultSpecError('"status" must be an HTTP status code');
  }
  return { status };
}

function optionalTimeout(timeoutMs: unknown): { timeoutMs?: number } {
  if (timeoutMs === undefined) return {};
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs < 0) {
    throw new FaultSpecError('"timeoutMs" must be a non-negative number of milliseconds');
  }
  return { timeoutMs };
}

function optionalDelay(delayMs: unknown): { delayMs?: number } {
  if (delayMs === undefined) return {};
  if (typeof delayMs !== 'number' || !Number.isFinite(delayMs) || delayMs < 0) {
    throw new FaultSpecError('"delayMs" must be a non-negative number of milliseconds');
  }
  return { delayMs };
}
