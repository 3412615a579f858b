import { IncomingHttpHeaders } from 'node:http';
import {
  createGroup,
  deleteMessageForEveryone,
  fetchAllGroups,
  fetchProfilePictureUrl,
  findMessages,
  findSettings,
  findWebhook,
  markMessageAsRead,
  setSettings,
  setWebhook,
  updateParticipant,
  whatsappNumbers,
} from './simulator-chat-routes';
import { SimulatorEngine } from './simulator-engine';
import { asRecord, forbidden, notFound, SimResponse, unauthorized } from './simulator-http';
import {
  connect,
  connectionState,
  createInstance,
  deleteInstance,
  fetchInstances,
  logout,
  restart,
  setPresence,
  welcome,
} from './simulator-instance-routes';
import { sendHandler } from './simulator-message-routes';
import { SEND_SCHEMAS, SendAction } from './simulator-schemas';
import { SimInstance } from './simulator-state';

export interface RequestContext {
  engine: SimulatorEngine;
  method: string;
  /** The raw request target, query included (Express' `req.url`). */
  url: string;
  pathname: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  apikey: string | undefined;
  body: unknown;
}

export type InstanceHandler = (ctx: RequestContext, inst: SimInstance) => SimResponse | Promise<SimResponse>;
type RootHandler = (ctx: RequestContext) => SimResponse | Promise<SimResponse>;

interface InstanceRoute {
  kind: 'instance';
  method: string;
  path: string;
  handler: InstanceHandler;
}

interface RootRoute {
  kind: 'root';
  method: string;
  path: string;
  guard: 'create' | 'fetchInstances' | 'public';
  handler: RootHandler;
}

type Route = InstanceRoute | RootRoute;

export interface RouteMatch {
  route: Route;
  instanceName?: string;
}

const instanceRoute = (method: string, path: string, handler: InstanceHandler): Route => ({
  kind: 'instance',
  method,
  path,
  handler,
});

/** contract §0: every business route is `/<group>/<action>/:instanceName`, except create/fetchInstances. */
const ROUTES: readonly Route[] = [
  { kind: 'root', method: 'GET', path: '/', guard: 'public', handler: welcome },
  { kind: 'root', method: 'POST', path: '/instance/create', guard: 'create', handler: createInstance },
  { kind: 'root', method: 'GET', path: '/instance/fetchInstances', guard: 'fetchInstances', handler: fetchInstances },
  instanceRoute('GET', '/instance/connect', connect),
  instanceRoute('GET', '/instance/connectionState', connectionState),
  instanceRoute('DELETE', '/instance/logout', logout),
  instanceRoute('DELETE', '/instance/delete', deleteInstance),
  instanceRoute('POST', '/instance/restart', restart), // contract §2.1: POST in v2; PUT is an unknown route
  instanceRoute('POST', '/instance/setPresence', setPresence),
  ...(Object.keys(SEND_SCHEMAS) as SendAction[]).map((action) =>
    instanceRoute('POST', `/message/${action}`, sendHandler(action)),
  ),
  instanceRoute('POST', '/chat/whatsappNumbers', whatsappNumbers),
  instanceRoute('POST', '/chat/findMessages', findMessages),
  instanceRoute('POST', '/chat/markMessageAsRead', markMessageAsRead),
  instanceRoute('POST', '/chat/fetchProfilePictureUrl', fetchProfilePictureUrl), // contract §2.3: POST in v2
  instanceRoute('DELETE', '/chat/deleteMessageForEveryone', deleteMessageForEveryone),
  instanceRoute('POST', '/group/create', createGroup),
  instanceRoute('GET', '/group/fetchAllGroups', fetchAllGroups),
  instanceRoute('POST', '/group/updateParticipant', updateParticipant),
  instanceRoute('POST', '/webhook/set', setWebhook),
  instanceRoute('GET', '/webhook/find', findWebhook),
  instanceRoute('POST', '/settings/set', setSettings),
  instanceRoute('GET', '/settings/find', findSettings),
];

/** Express semantics: case-insensitive, one optional trailing slash, `:instanceName` is one decoded segment. */
export function matchRoute(method: string, pathname: string): RouteMatch | undefined {
  const path = pathname.length > 1 ? pathname.replace(/\/$/, '') : pathname;
  const lower = path.toLowerCase();
  for (const route of ROUTES) {
    if (route.method !== method) continue;
    const prefix = route.path.toLowerCase();
    if (route.kind === 'root') {
      if (lower === prefix) return { route };
      continue;
    }
    if (!lower.startsWith(`${prefix}/`)) continue;
    const segment = path.slice(prefix.length + 1);
    if (segment === '' || segment.includes('/')) continue;
    return { route, instanceName: decodeSegment(segment) };
  }
  return undefined;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/**
 * contract §0: `[instanceExistsGuard, instanceLoggedGuard, authGuard.apikey]` in this order, so an
 * unknown instance is a 404 even without a key, and a taken name on create is a 403 before the key.
 */
export async function runRoute(match: RouteMatch, ctx: RequestContext): Promise<SimResponse> {
  const { route } = match;
  if (route.kind === 'instance') {
    const name = match.instanceName ?? '';
    // contract §12: a delete right after a delete still finds the instance the server is removing.
    const inst =
      ctx.engine.get(name) ?? (route.handler === deleteInstance ? ctx.engine.lingering.get(name) : undefined);
    if (!inst) throw notFound(`The "${name}" instance does not exist`);
    authorizeForInstance(ctx, inst);
    return route.handler(ctx, inst);
  }
  if (route.guard === 'create') guardCreate(ctx);
  if (route.guard === 'fetchInstances') guardFetchInstances(ctx);
  return route.handler(ctx);
}

/** contract §1: only the `apikey` header; the global key opens everything, a token only its instance. */
function authorizeForInstance(ctx: RequestContext, inst: SimInstance): void {
  if (!ctx.apikey) throw unauthorized();
  if (ctx.apikey === ctx.engine.options.globalKey || ctx.apikey === inst.token) return;
  throw unauthorized();
}

/** contract §1/§2.1: name taken → 403 before the key; then only the global key (a token → 401). */
function guardCreate(ctx: RequestContext): void {
  const name = asRecord(ctx.body)['instanceName'];
  if (typeof name === 'string' && name !== '' && ctx.engine.nameTaken(name)) {
    throw forbidden(`This name "${name}" is already in use.`);
  }
  // contract §11: a missing instanceName is reported as taken once any instance exists.
  if (name === undefined && ctx.engine.instances.size > 0) throw forbidden('This name "undefined" is already in use.');
  if (!ctx.apikey || ctx.apikey !== ctx.engine.options.globalKey) throw unauthorized();
}

/** contract §1: a non-global key passes when some instance carries it as its token. */
function guardFetchInstances(ctx: RequestContext): void {
  if (!ctx.apikey) throw unauthorized();
  if (ctx.apikey === ctx.engine.options.globalKey) return;
  const known = [...ctx.engine.instances.values()].some((i) => i.token === ctx.apikey);
  if (!known) throw unauthorized();
}
