import type { EvolutionSimulator } from './evolution-simulator';
import { BehaviourError, SimBehaviour } from './simulator-behaviour';
import { FaultSpec, FaultSpecError } from './simulator-faults';
import { asRecord, badRequest, created, notFound, ok, SimResponse, stringField, unauthorized } from './simulator-http';
import { ACK_STATUSES, CONNECTION_STATES, ConnectionState, MessageStatus } from './simulator-state';

export const CONTROL_PREFIX = '/__sim';

export interface ControlRequest {
  method: string;
  pathname: string;
  apikey: string | undefined;
  body: unknown;
}

type ControlHandler = (sim: EvolutionSimulator, body: Record<string, unknown>, name: string) => SimResponse;

interface ControlRoute {
  method: string;
  /** Path below /__sim; `:name` is an instance name. */
  path: string;
  handler: ControlHandler;
}

/**
 * Fault switches and inspection over HTTP, under /__sim so they can never be mistaken for an
 * upstream route. Authenticated with the global key like the upstream's admin routes. Each route
 * calls the same method a test would call on the simulator object.
 */
const CONTROL_ROUTES: readonly ControlRoute[] = [
  { method: 'GET', path: '/instances', handler: (sim) => ok(sim.instances()) },
  { method: 'POST', path: '/instances/:name/state', handler: setState },
  {
    method: 'POST',
    path: '/instances/:name/scan',
    handler: (sim, body, name) => ok(stateBody(sim.scan(name, { ownerNumber: stringField(body, 'ownerNumber') }))),
  },
  {
    method: 'POST',
    path: '/instances/:name/rotate-token',
    handler: (sim, _body, name) => ok({ token: sim.rotateToken(name) }),
  },
  { method: 'POST', path: '/instances/:name/inbound', handler: receive },
  { method: 'GET', path: '/faults', handler: (sim) => ok(sim.faults()) },
  { method: 'POST', path: '/faults', handler: addFault },
  { method: 'DELETE', path: '/faults', handler: (sim) => ok({ cleared: sim.clearFaults() }) },
  { method: 'GET', path: '/not-on-whatsapp', handler: (sim) => ok({ numbers: sim.notOnWhatsapp() }) },
  { method: 'POST', path: '/not-on-whatsapp', handler: setNotOnWhatsapp },
  { method: 'POST', path: '/acks', handler: setAcks },
  { method: 'GET', path: '/behaviour', handler: (sim) => ok(sim.behaviour()) },
  { method: 'POST', path: '/behaviour', handler: configure },
  { method: 'POST', path: '/reset', handler: (sim) => (sim.reset(), ok({ reset: true })) },
  { method: 'GET', path: '/requests', handler: (sim) => ok([...sim.requests()]) },
  { method: 'DELETE', path: '/requests', handler: (sim) => (sim.requests().clear(), ok({ cleared: true })) },
  { method: 'GET', path: '/webhooks', handler: (sim) => ok([...sim.webhookDeliveries()]) },
  { method: 'DELETE', path: '/webhooks', handler: (sim) => (sim.webhookDeliveries().clear(), ok({ cleared: true })) },
];

export function isControlPath(pathname: string): boolean {
  return pathname === CONTROL_PREFIX || pathname.startsWith(`${CONTROL_PREFIX}/`);
}

export function handleControl(sim: EvolutionSimulator, req: ControlRequest): SimResponse {
  if (req.apikey !== sim.globalKey) throw unauthorized();
  const subPath = req.pathname.slice(CONTROL_PREFIX.length).replace(/\/$/, '');
  for (const route of CONTROL_ROUTES) {
    if (route.method !== req.method) continue;
    const name = matchControlPath(route.path, subPath);
    if (name === undefined) continue;
    if (route.path.includes(':name') && !sim.instance(name)) throw notFound(`The "${name}" instance does not exist`);
    return route.handler(sim, asRecord(req.body), name);
  }
  throw notFound(`Cannot ${req.method} ${req.pathname}`);
}

/** Returns the `:name` segment ('' for routes without one) or undefined when the path does not match. */
function matchControlPath(pattern: string, path: string): string | undefined {
  const patternParts = pattern.split('/');
  const pathParts = path.split('/');
  if (patternParts.length !== pathParts.length) return undefined;
  let name = '';
  for (const [i, part] of patternParts.entries()) {
    const actual = pathParts[i] ?? '';
    if (part === ':name') name = decodeURIComponent(actual);
    else if (part !== actual) return undefined;
  }
  return name;
}

function stateBody(inst: { name: string; state: ConnectionState; ownerJid: string | null }): Record<string, unknown> {
  return { instance: { instanceName: inst.name, state: inst.state }, ownerJid: inst.ownerJid };
}

function setState(sim: EvolutionSimulator, body: Record<string, unknown>, name: string): SimResponse {
  const state = body['state'];
  if (typeof state !== 'string' || !(CONNECTION_STATES as readonly string[]).includes(state)) {
    throw badRequest(`"state" must be one of ${CONNECTION_STATES.join(', ')}`);
  }
  const statusReason = body['statusReason'];
  if (statusReason !== undefined) {
    if (state !== 'close') throw badRequest('"statusReason" goes with "state": "close" only');
    if (typeof statusReason !== 'number' || !Number.isInteger(statusReason) || statusReason < 100 || statusReason > 599)
      throw badRequest('"statusReason" must be an integer status code (100-599)');
  }
  const inst = sim.setState(name, state as ConnectionState, {
    ownerNumber: stringField(body, 'ownerNumber'),
    statusReason,
  });
  return ok(stateBody(inst));
}

function receive(sim: EvolutionSimulator, body: Record<string, unknown>, name: string): SimResponse {
  const from = stringField(body, 'from');
  const text = stringField(body, 'text');
  if (!from || text === undefined) throw badRequest('"from" and "text" are required');
  return created(sim.receiveMessage(name, { from, text, pushName: stringField(body, 'pushName') }));
}

function addFault(sim: EvolutionSimulator, body: Record<string, unknown>): SimResponse {
  try {
    return created(sim.addFault(body as unknown as FaultSpec));
  } catch (err) {
    if (err instanceof FaultSpecError) throw badRequest(err.message);
    throw err;
  }
}

function setNotOnWhatsapp(sim: EvolutionSimulator, body: Record<string, unknown>): SimResponse {
  const numbers = body['numbers'];
  if (!Array.isArray(numbers) || !numbers.every((n) => typeof n === 'string')) {
    throw badRequest('"numbers" must be an array of strings');
  }
  sim.setNotOnWhatsapp(numbers);
  return ok({ numbers: sim.notOnWhatsapp() });
}

function setAcks(sim: EvolutionSimulator, body: Record<string, unknown>): SimResponse {
  const statuses = body['statuses'];
  if (!Array.isArray(statuses) || !statuses.every((s) => (ACK_STATUSES as readonly unknown[]).includes(s))) {
    throw badRequest(`"statuses" must be an array of ${ACK_STATUSES.join(', ')}`);
  }
  sim.setAckSequence(statuses as MessageStatus[]);
  return ok({ statuses });
}

const BEHAVIOUR_FIELDS: readonly (keyof SimBehaviour)[] = [
  'whatsappReachable',
  'reconnectIntervalMs',
  'connectDelayMs',
  'deleteLingerMs',
];

function configure(sim: EvolutionSimulator, body: Record<string, unknown>): SimResponse {
  const unknown = Object.keys(body).filter((k) => !(BEHAVIOUR_FIELDS as readonly string[]).includes(k));
  if (unknown.length > 0)
    throw badRequest(`unknown fields: ${unknown.join(', ')}; known: ${BEHAVIOUR_FIELDS.join(', ')}`);
  try {
    return ok(sim.configure(body));
  } catch (err) {
    if (err instanceof BehaviourError) throw badRequest(err.message);
    throw err;
  }
}
