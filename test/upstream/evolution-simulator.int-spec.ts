import axios, { AxiosInstance, AxiosResponse } from 'axios';
import jsQR from 'jsqr';
import { createHmac } from 'node:crypto';
import http from 'node:http';
import { PNG } from 'pngjs';
import { EvolutionSimulator, startEvolutionSimulator } from './evolution-simulator';
import { ReceivedWebhook, startWebhookReceiver, waitFor, WebhookReceiver } from './webhook-receiver';

const GLOBAL_KEY = 'test-global-key';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const UPPER_UUID = /^[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$/;
const MESSAGE_ID = /^3EB0[0-9A-F]{16,20}$/;
const PHONE = '5511999998888';
const PHONE_JID = `${PHONE}@s.whatsapp.net`;

type Json = Record<string, unknown>;

let sim: EvolutionSimulator;
let receiver: WebhookReceiver;
let api: AxiosInstance;
let seq = 0;

/** Unique per test, so late webhooks of one test can never satisfy another's assertions. */
function uniqueName(prefix: string): string {
  seq += 1;
  return `${prefix}-${seq}`;
}

/** `null` = send no apikey header at all. */
function key(apikey: string | null): { headers: Record<string, string> } {
  return { headers: apikey === null ? {} : { apikey } };
}

const asGlobal = key(GLOBAL_KEY);

async function createInstance(body: Json, apikey: string | null = GLOBAL_KEY): Promise<AxiosResponse<Json>> {
  return api.post('/instance/create', { integration: 'WHATSAPP-BAILEYS', ...body }, key(apikey));
}

interface Created {
  name: string;
  token: string;
  instanceId: string;
}

async function newInstance(extra: Json = {}): Promise<Created> {
  const name = uniqueName('inst');
  const res = await createInstance({ instanceName: name, ...extra });
  expect(res.status).toBe(201);
  const instance = res.data['instance'] as { instanceId: string };
  return { name, token: res.data['hash'] as string, instanceId: instance.instanceId };
}

/** An instance whose session is open (the user "scanned the QR"). */
async function openInstance(extra: Json = {}, ownerNumber = '5511911112222'): Promise<Created> {
  const created = await newInstance(extra);
  sim.scan(created.name, { ownerNumber });
  return created;
}

/** A webhook block for create that posts every event to the receiver. */
function allEventsWebhook(extra: Json = {}): Json {
  return { webhook: { url: receiver.url, events: [], ...extra } };
}

function webhooksFor(instance: string, ...events: string[]): ReceivedWebhook[] {
  return receiver.received.filter(
    (r) => r.body.instance === instance && (events.length === 0 || events.includes(r.body.event)),
  );
}

function dataOf(webhook: ReceivedWebhook | undefined): Json {
  return (webhook?.body.data ?? {}) as Json;
}

function statusUpdates(instance: string, keyId: string): string[] {
  return webhooksFor(instance, 'messages.update')
    .map(dataOf)
    .filter((d) => d['keyId'] === keyId)
    .map((d) => String(d['status']));
}

async function sendText(inst: Created, number = PHONE, extra: Json = {}): Promise<AxiosResponse<Json>> {
  return api.post(`/message/sendText/${inst.name}`, { number, text: 'hello', ...extra }, key(inst.token));
}

function messageOf(res: AxiosResponse<Json>): { key: { id: string; remoteJid: string; fromMe: boolean } } & Json {
  return res.data as { key: { id: string; remoteJid: string; fromMe: boolean } } & Json;
}

beforeAll(async () => {
  sim = await startEvolutionSimulator({ port: 0, globalKey: GLOBAL_KEY, ackDelayMs: 10 });
  receiver = await startWebhookReceiver();
  api = axios.create({ baseURL: sim.url, validateStatus: () => true });
});

afterEach(() => {
  sim.reset();
  receiver.clear();
  receiver.respondWith(200);
  receiver.respondAfter(0);
});

afterAll(async () => {
  await sim.close();
  await receiver.close();
});

describe('error envelope and routing', () => {
  it('answers unknown routes with Express-style 404 quoting method and raw URL', async () => {
    const res = await api.get('/nope/here?x=1');
    expect(res.status).toBe(404);
    expect(res.data).toEqual({ status: 404, error: 'Not Found', response: { message: ['Cannot GET /nope/here?x=1'] } });
  });

  it('answers malformed JSON with 400, "Internal Server Error" and a string message', async () => {
    const res = await api.post('/message/sendText/whatever', '{"number":', {
      headers: { 'content-type': 'application/json', apikey: GLOBAL_KEY },
      transformRequest: [(data: unknown) => data],
    });
    expect(res.status).toBe(400);
    expect(res.data).toMatchObject({ status: 400, error: 'Internal Server Error' });
    expect(typeof (res.data as { response: { message: unknown } }).response.message).toBe('string');
  });

  it('serves the unauthenticated welcome route', async () => {
    const res = await api.get('/');
    expect(res.status).toBe(200);
    expect(res.data).toMatchObject({ status: 200, message: 'Welcome to the Evolution API, it is working!' });
  });

  it('does not know the v1/doc verbs: PUT restart, GET fetchProfilePictureUrl, DELETE deleteMessage', async () => {
    const inst = await newInstance();
    const put = await api.put(`/instance/restart/${inst.name}`, {}, asGlobal);
    expect(put.status).toBe(404);
    expect(put.data).toEqual({
      status: 404,
      error: 'Not Found',
      response: { message: [`Cannot PUT /instance/restart/${inst.name}`] },
    });
    const get = await api.get(`/chat/fetchProfilePictureUrl/${inst.name}?number=${PHONE}`, asGlobal);
    expect(get.data).toMatchObject({
      response: { message: [`Cannot GET /chat/fetchProfilePictureUrl/${inst.name}?number=${PHONE}`] },
    });
    const del = await api.delete(`/chat/deleteMessage/${inst.name}`, asGlobal);
    expect(del.status).toBe(404);
  });
});

describe('authentication and guard order', () => {
  it('checks instance existence before the key (404 even without a key)', async () => {
    const res = await api.get('/instance/connectionState/ghost');
    expect(res.status).toBe(404);
    expect(res.data).toEqual({
      status: 404,
      error: 'Not Found',
      response: { message: ['The "ghost" instance does not exist'] },
    });
    const wrongKey = await api.post('/message/sendText/ghost', { number: PHONE, text: 'x' }, key('wrong'));
    expect(wrongKey.status).toBe(404);
  });

  it('accepts the global key and the instance token, rejects missing/wrong/foreign keys with 401', async () => {
    const a = await newInstance();
    const b = await newInstance();
    const path = `/instance/connectionState/${a.name}`;
    const unauthorized = { status: 401, error: 'Unauthorized', response: { message: 'Unauthorized' } };

    const missing = await api.get(path);
    expect(missing.status).toBe(401);
    expect(missing.data).toEqual(unauthorized);
    expect((await api.get(path, key('not-a-key'))).status).toBe(401);
    const foreign = await api.get(path, key(b.token));
    expect(foreign.status).toBe(401);
    expect(foreign.data).toEqual(unauthorized);
    expect((await api.get(path, key(a.token))).status).toBe(200);
    expect((await api.get(path, asGlobal)).status).toBe(200);
  });

  it('reads the key from the apikey header only (no Bearer token)', async () => {
    const a = await newInstance();
    const res = await api.get(`/instance/connectionState/${a.name}`, {
      headers: { authorization: `Bearer ${a.token}` },
    });
    expect(res.status).toBe(401);
  });
});

describe('POST /instance/create', () => {
  it('creates an instance: 201 with the v2 body, plain-string hash and no qrcode key', async () => {
    const name = uniqueName('create');
    const res = await createInstance({ instanceName: name });
    expect(res.status).toBe(201);
    expect(res.data['instance']).toEqual({
      instanceName: name,
      instanceId: expect.stringMatching(UUID),
      integration: 'WHATSAPP-BAILEYS',
      webhookWaBusiness: null,
      accessTokenWaBusiness: '',
      status: 'close',
    });
    expect(res.data['hash']).toMatch(UPPER_UUID);
    expect(res.data).toMatchObject({ webhook: {}, websocket: {}, rabbitmq: {}, nats: {}, sqs: {} });
    expect(res.data['settings']).toEqual({
      rejectCall: false,
      msgCall: '',
      groupsIgnore: false,
      alwaysOnline: false,
      readMessages: false,
      readStatus: false,
      syncFullHistory: false,
      wavoipToken: '',
    });
    expect(res.data).not.toHaveProperty('qrcode');
    expect(sim.instance(name)?.state).toBe('close');
  });

  it('echoes a client token as hash and returns a QR with qrcode:true (instance goes connecting)', async () => {
    const name = uniqueName('qr');
    const res = await createInstance({ instanceName: name, token: 'my-token', qrcode: true });
    expect(res.status).toBe(201);
    expect(res.data['hash']).toBe('my-token');
    expect(res.data['qrcode']).toEqual({
      pairingCode: null,
      code: expect.stringMatching(/^2@/),
      base64: expect.stringMatching(/^data:image\/png;base64,/),
      count: 1,
    });
    const state = await api.get(`/instance/connectionState/${name}`, key('my-token'));
    expect(state.data).toEqual({ instance: { instanceName: name, state: 'connecting' } });
  });

  it('returns an 8-character pairing code when a number is given', async () => {
    const res = await createInstance({ instanceName: uniqueName('pair'), qrcode: true, number: '5511912345678' });
    expect((res.data['qrcode'] as Json)['pairingCode']).toMatch(/^[A-Z0-9]{8}$/);
  });

  it('rejects a taken name with 403 before checking the key', async () => {
    const inst = await newInstance();
    const expected = {
      status: 403,
      error: 'Forbidden',
      response: { message: [`This name "${inst.name}" is already in use.`] },
    };
    const noKey = await createInstance({ instanceName: inst.name }, null);
    expect(noKey.status).toBe(403);
    expect(noKey.data).toEqual(expected);
    expect((await createInstance({ instanceName: inst.name }, inst.token)).data).toEqual(expected);
  });

  it('reports a missing instanceName as the taken name "undefined" once any instance exists', async () => {
    await newInstance();
    const res = await api.post('/instance/create', { integration: 'WHATSAPP-BAILEYS' }, asGlobal);
    expect(res.status).toBe(403);
    expect(res.data).toMatchObject({ response: { message: ['This name "undefined" is already in use.'] } });
  });

  it('only takes the global key: an instance token or no key gets 401', async () => {
    const inst = await newInstance();
    const withToken = await createInstance({ instanceName: uniqueName('x') }, inst.token);
    expect(withToken.status).toBe(401);
    expect(withToken.data).toEqual({ status: 401, error: 'Unauthorized', response: { message: 'Unauthorized' } });
    expect((await createInstance({ instanceName: uniqueName('x') }, null)).status).toBe(401);
  });

  it.each([
    ['missing', undefined],
    ['unknown', 'TELEGRAM'],
  ])('rejects a %s integration with 400 ["Invalid integration"]', async (_label, integration) => {
    const res = await api.post('/instance/create', { instanceName: uniqueName('int'), integration }, asGlobal);
    expect(res.status).toBe(400);
    expect(res.data).toEqual({ status: 400, error: 'Bad Request', response: { message: ['Invalid integration'] } });
  });

  it('validates field types with the nested-array message shape', async () => {
    const res = await createInstance({ instanceName: uniqueName('v'), qrcode: 'yes' });
    expect(res.status).toBe(400);
    expect(res.data).toEqual({
      status: 400,
      error: 'Bad Request',
      response: { message: [['qrcode is not of a type(s) boolean']] },
    });
  });

  it('rolls back a create whose webhook has no events (400 .length crash)', async () => {
    const name = uniqueName('rollback');
    const res = await createInstance({ instanceName: name, webhook: { url: receiver.url } });
    expect(res.status).toBe(400);
    expect(res.data).toEqual({
      status: 400,
      error: 'Bad Request',
      response: { message: ["Cannot read properties of undefined (reading 'length')"] },
    });
    expect(sim.instance(name)).toBeUndefined();
    expect((await createInstance({ instanceName: name })).status).toBe(201);
  });

  it('stores the nested webhook of create (events [] = all 31 events) and echoes it', async () => {
    const name = uniqueName('hook');
    const res = await createInstance({
      instanceName: name,
      webhook: { url: receiver.url, byEvents: false, base64: false, headers: { 'x-tenant': 't1' }, events: [] },
    });
    expect(res.data['webhook']).toEqual({
      webhookUrl: receiver.url,
      webhookHeaders: { 'x-tenant': 't1' },
      webhookByEvents: false,
      webhookBase64: false,
    });
    const found = await api.get(`/webhook/find/${name}`, asGlobal);
    expect(found.data).toMatchObject({ url: receiver.url, enabled: true, headers: { 'x-tenant': 't1' } });
    expect((found.data as { events: string[] }).events).toHaveLength(31);
    expect((found.data as { events: string[] }).events).toContain('MESSAGES_UPDATE');
  });

  it('honours createDelayMs only when qrcode:true', async () => {
    const slow = await startEvolutionSimulator({ port: 0, globalKey: GLOBAL_KEY, createDelayMs: 200 });
    try {
      const client = axios.create({ baseURL: slow.url, validateStatus: () => true, headers: { apikey: GLOBAL_KEY } });
      const body = { integration: 'WHATSAPP-BAILEYS' };
      let started = Date.now();
      await client.post('/instance/create', { ...body, instanceName: 'fast' });
      expect(Date.now() - started).toBeLessThan(150);
      started = Date.now();
      const res = await client.post('/instance/create', { ...body, instanceName: 'slow', qrcode: true });
      expect(res.status).toBe(201);
      expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    } finally {
      await slow.close();
    }
  });
});

describe('instance connection routes', () => {
  it('connect on a close instance starts connecting, returns the QR and emits connection.update + qrcode.updated', async () => {
    const inst = await newInstance(allEventsWebhook());
    const res = await api.get(`/instance/connect/${inst.name}`, key(inst.token));
    expect(res.status).toBe(200);
    expect(res.data).toEqual({
      pairingCode: null,
      code: expect.stringMatching(/^2@/),
      base64: expect.any(String),
      count: 1,
    });
    expect((await api.get(`/instance/connectionState/${inst.name}`, asGlobal)).data).toEqual({
      instance: { instanceName: inst.name, state: 'connecting' },
    });

    const again = await api.get(`/instance/connect/${inst.name}`, asGlobal);
    expect(again.data).toEqual(res.data); // connecting: the current QR, unchanged

    await waitFor(() => webhooksFor(inst.name, 'qrcode.updated').length === 1);
    const events = webhooksFor(inst.name, 'connection.update', 'qrcode.updated');
    expect(events.map((e) => e.body.event)).toEqual(['connection.update', 'qrcode.updated']);
    expect(dataOf(events[0])).toEqual({ instance: inst.name, state: 'connecting', statusReason: 200 });
    expect(dataOf(events[1])).toEqual({
      qrcode: { instance: inst.name, pairingCode: null, code: res.data['code'], base64: res.data['base64'] },
    });
  });

  it('serves the QR as a PNG data URL that scans as the answer’s code', async () => {
    const inst = await newInstance();
    const res = await api.get(`/instance/connect/${inst.name}`, key(inst.token));
    const [prefix, base64] = String(res.data['base64']).split(',');
    expect(prefix).toBe('data:image/png;base64');
    const image = PNG.sync.read(Buffer.from(base64!, 'base64'));
    expect(image.width).toBeGreaterThan(100);
    const decoded = jsQR(new Uint8ClampedArray(image.data), image.width, image.height);
    expect(decoded?.data).toBe(res.data['code']);
  });

  it('connect on an open instance returns its state', async () => {
    const inst = await openInstance();
    const res = await api.get(`/instance/connect/${inst.name}`, asGlobal);
    expect(res.data).toEqual({ instance: { instanceName: inst.name, state: 'open' } });
  });

  it('logout: 400 when close, 200 SUCCESS when open, then close with the logout trail of webhooks', async () => {
    const inst = await newInstance(allEventsWebhook());
    const closed = await api.delete(`/instance/logout/${inst.name}`, asGlobal);
    expect(closed.status).toBe(400);
    expect(closed.data).toMatchObject({ response: { message: [`The "${inst.name}" instance is not connected`] } });

    sim.scan(inst.name);
    const res = await api.delete(`/instance/logout/${inst.name}`, key(inst.token));
    expect(res.status).toBe(200);
    expect(res.data).toEqual({ status: 'SUCCESS', error: false, response: { message: 'Instance logged out' } });
    expect(sim.instance(inst.name)?.state).toBe('close');

    await waitFor(() => webhooksFor(inst.name, 'connection.update').some((w) => dataOf(w)['state'] === 'close'));
    const trail = webhooksFor(inst.name, 'logout.instance', 'status.instance', 'connection.update').slice(-3);
    expect(trail.map((w) => w.body.event)).toEqual(['logout.instance', 'status.instance', 'connection.update']);
    expect(dataOf(trail[2])).toEqual({ instance: inst.name, state: 'close', statusReason: 401 });
  });

  it('delete: 200 SUCCESS, instance gone, webhooks in the observed order', async () => {
    const inst = await openInstance(allEventsWebhook());
    const res = await api.delete(`/instance/delete/${inst.name}`, key(inst.token));
    expect(res.status).toBe(200);
    expect(res.data).toEqual({ status: 'SUCCESS', error: false, response: { message: 'Instance deleted' } });
    expect((await api.get(`/instance/connectionState/${inst.name}`, asGlobal)).status).toBe(404);

    const expected = ['instance.delete', 'remove.instance', 'logout.instance', 'status.instance', 'connection.update'];
    const afterDelete = (): string[] => {
      const events = webhooksFor(inst.name).map((w) => w.body.event);
      return events.slice(events.indexOf('instance.delete'));
    };
    await waitFor(() => afterDelete().length === expected.length);
    expect(afterDelete()).toEqual(expected);
    expect(dataOf(webhooksFor(inst.name, 'instance.delete')[0])).toEqual({
      instanceName: inst.name,
      instanceId: inst.instanceId,
    });
  });

  it('restart: 200 {"error":true,"message":"[object Object]"} when close, a new QR when connecting, state when open', async () => {
    const inst = await newInstance();
    const closed = await api.post(`/instance/restart/${inst.name}`, {}, asGlobal);
    expect(closed.status).toBe(200);
    expect(closed.data).toEqual({ error: true, message: '[object Object]' });

    sim.setState(inst.name, 'connecting');
    const connecting = await api.post(`/instance/restart/${inst.name}`, {}, asGlobal);
    expect(connecting.data).toMatchObject({ code: expect.stringMatching(/^2@/), count: 2 });

    sim.scan(inst.name);
    const open = await api.post(`/instance/restart/${inst.name}`, {}, asGlobal);
    expect(open.data).toEqual({ instance: { instanceName: inst.name, state: 'open' } });
  });

  it('setPresence: 201 echo, 400 for missing or invalid presence', async () => {
    const inst = await newInstance();
    const res = await api.post(`/instance/setPresence/${inst.name}`, { presence: 'available' }, asGlobal);
    expect(res.status).toBe(201);
    expect(res.data).toEqual({ presence: 'available' });
    const missing = await api.post(`/instance/setPresence/${inst.name}`, {}, asGlobal);
    expect(missing.data).toEqual({
      status: 400,
      error: 'Bad Request',
      response: { message: [['instance requires property "presence"']] },
    });
    const invalid = await api.post(`/instance/setPresence/${inst.name}`, { presence: 'busy' }, asGlobal);
    expect(invalid.data).toMatchObject({
      response: { message: [['presence is not one of enum values: unavailable,available,composing,recording,paused']] },
    });
  });
});

describe('real-server timing (contract §11, §12)', () => {
  const connecting = (name: string): number =>
    webhooksFor(name, 'connection.update').filter((w) => dataOf(w)['state'] === 'connecting').length;

  it('unreachable WhatsApp: connect answers {count:0} and starts a loop that repeats connecting; each connect adds one', async () => {
    sim.configure({ whatsappReachable: false, reconnectIntervalMs: 40, connectDelayMs: 50 });
    const inst = await newInstance(allEventsWebhook());
    const started = Date.now();
    const res = await api.get(`/instance/connect/${inst.name}`, key(inst.token));
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect(res.data).toEqual({ count: 0 });
    await waitFor(() => connecting(inst.name) >= 4);
    expect(webhooksFor(inst.name, 'qrcode.updated')).toHaveLength(0);
    expect(webhooksFor(inst.name, 'connection.update').every((w) => dataOf(w)['state'] === 'connecting')).toBe(true);
    expect(sim.instance(inst.name)).toMatchObject({ state: 'close', reconnectLoops: 1 });

    await api.get(`/instance/connect/${inst.name}`, asGlobal);
    expect(sim.instance(inst.name)!.reconnectLoops).toBe(2);
    const fetched = await api.get(`/instance/fetchInstances?instanceName=${inst.name}`, asGlobal);
    expect((fetched.data as Json[])[0]).toMatchObject({ connectionStatus: 'close' });
  });

  it('while it retries, connectionState flips close/connecting; restart and logout follow the flip', async () => {
    sim.configure({ whatsappReachable: false, reconnectIntervalMs: 1000 });
    const inst = await newInstance();
    await api.get(`/instance/connect/${inst.name}`, asGlobal);
    const states: string[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await api.get(`/instance/connectionState/${inst.name}`, asGlobal);
      states.push(String((res.data as { instance: { state: string } }).instance.state));
    }
    expect(states).toEqual(['close', 'connecting', 'close', 'connecting']);
    expect((await api.post(`/instance/restart/${inst.name}`, {}, asGlobal)).data).toEqual({
      error: true,
      message: '[object Object]',
    });
    expect((await api.post(`/instance/restart/${inst.name}`, {}, asGlobal)).data).toEqual({ count: 0 });
    expect((await api.delete(`/instance/logout/${inst.name}`, asGlobal)).status).toBe(400);
    expect((await api.delete(`/instance/logout/${inst.name}`, asGlobal)).status).toBe(200);
    expect(sim.instance(inst.name)).toMatchObject({ state: 'close', reconnectLoops: 0 });
    expect((await api.get(`/instance/connectionState/${inst.name}`, asGlobal)).data).toMatchObject({
      instance: { state: 'close' },
    });
  });

  it('create with qrcode:true starts a loop and answers {count:0}; qrcode:false starts none; a scan ends the loop', async () => {
    sim.configure({ whatsappReachable: false, reconnectIntervalMs: 40 });
    const looping = await createInstance({ instanceName: uniqueName('loop'), qrcode: true, ...allEventsWebhook() });
    expect(looping.data['qrcode']).toEqual({ count: 0 });
    expect((looping.data['instance'] as Json)['status']).toBe('close');
    const quiet = await newInstance({ qrcode: false, ...allEventsWebhook() });
    const name = (looping.data['instance'] as { instanceName: string }).instanceName;
    await waitFor(() => connecting(name) >= 3);
    expect(sim.instance(quiet.name)!.reconnectLoops).toBe(0);
    expect(connecting(quiet.name)).toBe(0);

    sim.scan(name);
    expect(sim.instance(name)).toMatchObject({ state: 'open', reconnectLoops: 0 });
    await waitFor(() => webhooksFor(name, 'connection.update').some((w) => dataOf(w)['state'] === 'open'));
    const after = connecting(name);
    // A few loop intervals with nothing new: the loop ended.
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(connecting(name)).toBe(after);
  });

  it('deleting a retrying instance stops its loop and emits the logout trail', async () => {
    sim.configure({ whatsappReachable: false, reconnectIntervalMs: 40 });
    const inst = await newInstance(allEventsWebhook());
    await api.get(`/instance/connect/${inst.name}`, asGlobal);
    await waitFor(() => connecting(inst.name) >= 2);
    expect((await api.delete(`/instance/delete/${inst.name}`, asGlobal)).status).toBe(200);
    const expected = ['instance.delete', 'remove.instance', 'logout.instance', 'status.instance', 'connection.update'];
    const afterDelete = (): string[] => {
      const events = webhooksFor(inst.name).map((w) => w.body.event);
      return events.slice(events.indexOf('instance.delete'));
    };
    await waitFor(() => afterDelete().length === expected.length);
    expect(afterDelete()).toEqual(expected);
    expect(dataOf(webhooksFor(inst.name, 'connection.update').at(-1))).toEqual({
      instance: inst.name,
      state: 'close',
      statusReason: 401,
    });
    // A few loop intervals with nothing new: the loop ended with the instance.
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(afterDelete()).toEqual(expected);
  });

  it('delete linger: the name stays taken (403) and listed, a second delete answers 200, and the events come after', async () => {
    sim.configure({ deleteLingerMs: 300 });
    const inst = await openInstance(allEventsWebhook());
    const deleted = Date.now();
    expect((await api.delete(`/instance/delete/${inst.name}`, asGlobal)).status).toBe(200);
    expect(sim.instance(inst.name)).toBeUndefined();
    expect((await api.get(`/instance/connectionState/${inst.name}`, asGlobal)).status).toBe(404);
    expect((await api.delete(`/instance/delete/${inst.name}`, asGlobal)).status).toBe(200);
    const again = await createInstance({ instanceName: inst.name });
    expect(again.status).toBe(403);
    expect(again.data).toMatchObject({ response: { message: [`This name "${inst.name}" is already in use.`] } });
    const listed = await api.get(`/instance/fetchInstances?instanceName=${inst.name}`, asGlobal);
    expect(listed.status).toBe(200);
    expect(webhooksFor(inst.name, 'instance.delete')).toHaveLength(0);

    await waitFor(() => webhooksFor(inst.name, 'connection.update').some((w) => dataOf(w)['state'] === 'close'), 3000);
    expect(Date.now() - deleted).toBeGreaterThanOrEqual(290);
    expect(webhooksFor(inst.name, 'instance.delete', 'remove.instance')).toHaveLength(2);
    expect((await createInstance({ instanceName: inst.name })).status).toBe(201);
  });

  it('behaviour over HTTP: read, change, validated, restored by reset', async () => {
    expect((await api.get('/__sim/behaviour', asGlobal)).data).toEqual({
      whatsappReachable: true,
      reconnectIntervalMs: 5000,
      connectDelayMs: 0,
      deleteLingerMs: 0,
    });
    const changed = await api.post('/__sim/behaviour', { whatsappReachable: false, deleteLingerMs: 2000 }, asGlobal);
    expect(changed.data).toEqual({
      whatsappReachable: false,
      reconnectIntervalMs: 5000,
      connectDelayMs: 0,
      deleteLingerMs: 2000,
    });
    expect((await api.post('/__sim/behaviour', { deleteLingerMs: -1 }, asGlobal)).status).toBe(400);
    expect((await api.post('/__sim/behaviour', { whatsappReachable: 'no' }, asGlobal)).status).toBe(400);
    expect((await api.post('/__sim/behaviour', { lingerMs: 5 }, asGlobal)).status).toBe(400);
    expect(sim.behaviour()).toMatchObject({ whatsappReachable: false, deleteLingerMs: 2000 });
    sim.reset();
    expect(sim.behaviour()).toEqual({
      whatsappReachable: true,
      reconnectIntervalMs: 5000,
      connectDelayMs: 0,
      deleteLingerMs: 0,
    });
  });
});

describe('GET /instance/fetchInstances', () => {
  it('returns every row with the Prisma fields for the global key', async () => {
    const a = await openInstance({}, '5511933334444');
    const b = await newInstance();
    const res = await api.get('/instance/fetchInstances', asGlobal);
    expect(res.status).toBe(200);
    const rows = res.data as unknown as Json[];
    expect(rows.map((r) => r['name']).sort()).toEqual([a.name, b.name].sort());
    const rowA = rows.find((r) => r['name'] === a.name);
    expect(rowA).toMatchObject({
      id: a.instanceId,
      connectionStatus: 'open',
      ownerJid: '5511933334444@s.whatsapp.net',
      integration: 'WHATSAPP-BAILEYS',
      token: a.token,
      clientName: 'evolution_exchange',
      Setting: expect.objectContaining({ rejectCall: false, instanceId: a.instanceId }),
      _count: { Message: 0, Contact: 0, Chat: 0 },
    });
    for (const field of [
      'profileName',
      'profilePicUrl',
      'number',
      'businessId',
      'disconnectionReasonCode',
      'createdAt',
      'updatedAt',
    ]) {
      expect(rowA).toHaveProperty(field);
    }
    expect(rowA).not.toHaveProperty('Webhook');
  });

  it('filters by instanceName and answers 404 for an unknown one', async () => {
    const a = await newInstance();
    await newInstance();
    const one = await api.get(`/instance/fetchInstances?instanceName=${a.name}`, asGlobal);
    expect((one.data as unknown as Json[]).map((r) => r['name'])).toEqual([a.name]);
    const unknown = await api.get('/instance/fetchInstances?instanceName=nope', asGlobal);
    expect(unknown.status).toBe(404);
    expect(unknown.data).toEqual({
      status: 404,
      error: 'Not Found',
      response: { message: ['Instance "nope" not found'] },
    });
  });

  it('scopes a non-global key to the instances carrying that token; otherwise 401', async () => {
    const a = await newInstance({ token: 'shared-token' });
    const b = await newInstance({ token: 'shared-token' });
    const c = await newInstance();
    const shared = await api.get('/instance/fetchInstances', key('shared-token'));
    expect((shared.data as unknown as Json[]).map((r) => r['name']).sort()).toEqual([a.name, b.name].sort());
    const own = await api.get('/instance/fetchInstances', key(c.token));
    expect((own.data as unknown as Json[]).map((r) => r['name'])).toEqual([c.name]);
    expect((await api.get(`/instance/fetchInstances?instanceName=${a.name}`, key(c.token))).status).toBe(401);
    expect((await api.get('/instance/fetchInstances', key('junk'))).status).toBe(401);
    expect((await api.get('/instance/fetchInstances')).status).toBe(401);
  });
});

describe('message sends', () => {
  it('sendText: 201 with the prepareMessage object', async () => {
    const inst = await openInstance();
    const before = Math.floor(Date.now() / 1000);
    const res = await sendText(inst, PHONE, { text: 'Hello!' });
    expect(res.status).toBe(201);
    expect(res.data).toEqual({
      key: { remoteJid: PHONE_JID, fromMe: true, id: expect.stringMatching(MESSAGE_ID) },
      pushName: 'Você',
      status: 'PENDING',
      message: { conversation: 'Hello!' },
      messageType: 'conversation',
      messageTimestamp: expect.any(Number),
      instanceId: inst.instanceId,
      source: 'web',
    });
    expect(res.data['messageTimestamp']).toBeGreaterThanOrEqual(before);
  });

  it('normalises a formatted number into a JID', async () => {
    const inst = await openInstance();
    const res = await sendText(inst, '+55 (11) 99999-8888');
    expect(messageOf(res).key.remoteJid).toBe(PHONE_JID);
  });

  it.each<[string, Json, string]>([
    [
      'sendMedia',
      { number: PHONE, mediatype: 'image', media: 'https://example.com/a.png', caption: 'c' },
      'imageMessage',
    ],
    [
      'sendMedia',
      { number: PHONE, mediatype: 'document', media: 'JVBERi0xLjQK', fileName: 'a.pdf' },
      'documentMessage',
    ],
    ['sendMedia', { number: PHONE, mediatype: 'video', media: 'https://example.com/v.mp4' }, 'videoMessage'],
    ['sendWhatsAppAudio', { number: PHONE, audio: 'https://example.com/a.mp3' }, 'audioMessage'],
    ['sendSticker', { number: PHONE, sticker: 'https://example.com/s.webp' }, 'stickerMessage'],
    [
      'sendLocation',
      { number: PHONE, latitude: -1.29, longitude: 36.82, name: 'CBD', address: 'Kenyatta Ave' },
      'locationMessage',
    ],
    [
      'sendContact',
      { number: PHONE, contact: [{ fullName: 'John Smith', phoneNumber: '+254700000001' }] },
      'contactMessage',
    ],
    [
      'sendContact',
      {
        number: PHONE,
        contact: [
          { fullName: 'A', phoneNumber: '+254700000001' },
          { fullName: 'B', phoneNumber: '+254700000002' },
        ],
      },
      'contactsArrayMessage',
    ],
    ['sendPoll', { number: PHONE, name: 'Q?', selectableCount: 1, values: ['a', 'b'] }, 'pollCreationMessageV3'],
    ['sendPoll', { number: PHONE, name: 'Q?', selectableCount: 2, values: ['a', 'b', 'c'] }, 'pollCreationMessage'],
    [
      'sendButtons',
      { number: PHONE, title: 'T', buttons: [{ type: 'reply', displayText: 'Yes', id: 'y' }] },
      'viewOnceMessage',
    ],
    [
      'sendReaction',
      { key: { remoteJid: PHONE_JID, fromMe: true, id: '3EB0AAAA' }, reaction: '👍' },
      'reactionMessage',
    ],
    ['sendReaction', { key: { remoteJid: PHONE_JID, fromMe: true, id: '3EB0AAAA' }, reaction: '' }, 'reactionMessage'],
  ])('%s → 201 with messageType %s', async (action, body, messageType) => {
    const inst = await openInstance();
    const res = await api.post(`/message/${action}/${inst.name}`, body, key(inst.token));
    expect(res.status).toBe(201);
    expect(res.data).toMatchObject({
      messageType,
      status: 'PENDING',
      pushName: 'Você',
      key: { remoteJid: PHONE_JID, fromMe: true },
    });
    expect(Object.keys(res.data['message'] as Json)).toEqual([messageType]);
  });

  it.each<[string, string, Json, unknown[]]>([
    ['sendText', 'nothing', {}, [['instance requires property "number"', 'instance requires property "text"']]],
    ['sendText', 'no text', { number: PHONE }, [['instance requires property "text"']]],
    ['sendText', 'blank text', { number: PHONE, text: '   ' }, ['Text is required']],
    ['sendText', 'a numeric number', { number: 5511, text: 'x' }, [['Invalid format']]],
    [
      'sendText',
      'a non-integer delay',
      { number: PHONE, text: 'x', delay: 'soon' },
      [['Enter a value in milliseconds']],
    ],
    [
      'sendMedia',
      'no mediatype',
      { number: PHONE, media: 'https://x.io/a.png' },
      [['instance requires property "mediatype"']],
    ],
    [
      'sendMedia',
      'an unknown mediatype',
      { number: PHONE, mediatype: 'gif', media: 'https://x.io/a.gif' },
      [['mediatype is not one of enum values: image,document,video,audio']],
    ],
    ['sendMedia', 'no media', { number: PHONE, mediatype: 'image' }, ['Owned media must be a url or base64']],
    [
      'sendMedia',
      'a data URI',
      { number: PHONE, mediatype: 'image', media: 'data:image/png;base64,AAAA' },
      ['Owned media must be a url or base64'],
    ],
    [
      'sendMedia',
      'a base64 document without fileName',
      { number: PHONE, mediatype: 'document', media: 'JVBERi0xLjQK' },
      ['For base64 the file name must be informed.'],
    ],
    [
      'sendLocation',
      'no address',
      { number: PHONE, latitude: 1, longitude: 2, name: 'n' },
      [['instance requires property "address"']],
    ],
    [
      'sendContact',
      'a short phone',
      { number: PHONE, contact: [{ fullName: 'J', phoneNumber: '123' }] },
      [['contact[0].phoneNumber does not meet minimum length of 10']],
    ],
    [
      'sendPoll',
      'one value',
      { number: PHONE, name: 'Q', selectableCount: 1, values: ['a'] },
      [['values does not meet minimum length of 2']],
    ],
    [
      'sendReaction',
      'a word as reaction',
      { key: { remoteJid: PHONE_JID, fromMe: true, id: 'X' }, reaction: 'hello' },
      ['"reaction" must be an emoji'],
    ],
    [
      'sendReaction',
      'an incomplete key',
      { key: { id: 'X' }, reaction: '👍' },
      [['key requires property "remoteJid"', 'key requires property "fromMe"']],
    ],
  ])('%s with %s → 400', async (action, _label, body, message) => {
    const inst = await openInstance();
    const res = await api.post(`/message/${action}/${inst.name}`, body, key(inst.token));
    expect(res.status).toBe(400);
    expect(res.data).toEqual({ status: 400, error: 'Bad Request', response: { message } });
  });

  it('answers 400 exists:false for a number not on WhatsApp (default rule: ends in 0000), before any delay', async () => {
    const inst = await openInstance();
    const started = Date.now();
    const res = await sendText(inst, '5511999990000', { delay: 5000 });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(res.status).toBe(400);
    expect(res.data).toEqual({
      status: 400,
      error: 'Bad Request',
      response: { message: [{ jid: '5511999990000@s.whatsapp.net', exists: false, number: '5511999990000' }] },
    });
  });

  it('lets group JIDs bypass the number check', async () => {
    const inst = await openInstance();
    const res = await sendText(inst, '120363000000000000@g.us');
    expect(res.status).toBe(201);
    expect(messageOf(res).key.remoteJid).toBe('120363000000000000@g.us');
  });

  it('re-encodes base64 images as sharp would: bytes of no image format it reads get 500, before the connection check', async () => {
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex').toString('base64');
    const pdf = Buffer.from('%PDF-1.4\n').toString('base64');
    const open = await openInstance();
    expect(
      (
        await api.post(
          `/message/sendMedia/${open.name}`,
          { number: PHONE, mediatype: 'image', media: png },
          key(open.token),
        )
      ).status,
    ).toBe(201);
    expect(
      (
        await api.post(
          `/message/sendMedia/${open.name}`,
          { number: PHONE, mediatype: 'document', media: pdf, fileName: 'a.pdf' },
          key(open.token),
        )
      ).status,
    ).toBe(201);

    const closed = await newInstance({ qrcode: true });
    const image = await api.post(
      `/message/sendMedia/${closed.name}`,
      { number: PHONE, mediatype: 'image', media: pdf },
      key(closed.token),
    );
    expect(image.status).toBe(500);
    expect(image.data).toEqual({
      status: 500,
      error: 'Internal Server Error',
      response: { message: ['Error: Input buffer contains unsupported image format'] },
    });
    // The sticker conversion rethrows sharp's error as it is: a string message.
    const sticker = await api.post(
      `/message/sendSticker/${open.name}`,
      { number: PHONE, sticker: pdf },
      key(open.token),
    );
    expect(sticker.status).toBe(500);
    expect(sticker.data).toEqual({
      status: 500,
      error: 'Internal Server Error',
      response: { message: 'Input buffer contains unsupported image format' },
    });
    expect(
      (
        await api.post(
          `/message/sendSticker/${open.name}`,
          { number: PHONE, sticker: pdf, notConvertSticker: true },
          key(open.token),
        )
      ).status,
    ).toBe(201);
  });

  it('holds the answer for the requested delay', async () => {
    const inst = await openInstance();
    const started = Date.now();
    const res = await sendText(inst, PHONE, { delay: 250 });
    expect(res.status).toBe(201);
    expect(Date.now() - started).toBeGreaterThanOrEqual(240);
  });

  it('ignores delay on sendContact', async () => {
    const inst = await openInstance();
    const started = Date.now();
    const res = await api.post(
      `/message/sendContact/${inst.name}`,
      { number: PHONE, delay: 3000, contact: [{ fullName: 'J', phoneNumber: '+254700000001' }] },
      key(inst.token),
    );
    expect(res.status).toBe(201);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('webhooks emitted after a send', () => {
  it('posts send.message then SERVER_ACK, DELIVERY_ACK, READ with the contract envelope', async () => {
    const inst = await openInstance(allEventsWebhook({ headers: { 'x-tenant': 'abc' } }), '5511977776666');
    const res = await sendText(inst);
    const id = messageOf(res).key.id;

    await waitFor(() => statusUpdates(inst.name, id).includes('READ'));
    const trail = webhooksFor(inst.name, 'send.message', 'messages.update').filter(
      (w) => dataOf(w)['keyId'] === id || (dataOf(w)['key'] as Json | undefined)?.['id'] === id,
    );
    expect(trail.map((w) => [w.body.event, dataOf(w)['status']])).toEqual([
      ['send.message', 'PENDING'],
      ['messages.update', 'SERVER_ACK'],
      ['messages.update', 'DELIVERY_ACK'],
      ['messages.update', 'READ'],
    ]);

    const [sent, ack] = trail;
    expect(sent?.body).toEqual({
      event: 'send.message',
      instance: inst.name,
      data: res.data,
      destination: receiver.url,
      date_time: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
      sender: '5511977776666@s.whatsapp.net',
      server_url: sim.url,
      apikey: null,
    });
    expect(dataOf(ack)).toEqual({
      keyId: id,
      remoteJid: PHONE_JID,
      fromMe: true,
      status: 'SERVER_ACK',
      instanceId: inst.instanceId,
      messageId: expect.any(String),
    });
    expect(sent?.path).toBe('/');
    expect(sent?.headers).toMatchObject({ 'content-type': 'application/json', 'x-tenant': 'abc' });
  });

  it('posts to ${url}/${event-suffix} with byEvents and skips events that are not subscribed', async () => {
    const inst = await openInstance({
      webhook: { url: `${receiver.url}/hook`, byEvents: true, events: ['SEND_MESSAGE', 'MESSAGES_UPDATE'] },
    });
    const id = messageOf(await sendText(inst)).key.id;
    await waitFor(() => statusUpdates(inst.name, id).includes('READ'));
    const received = webhooksFor(inst.name);
    expect(received.map((w) => w.path)).toEqual([
      '/hook/send-message',
      '/hook/messages-update',
      '/hook/messages-update',
      '/hook/messages-update',
    ]);
    expect(received[0]?.body.destination).toBe(`${receiver.url}/hook`);
    expect(webhooksFor(inst.name, 'connection.update', 'instance.create')).toHaveLength(0);
  });

  it('never overlaps deliveries of one message: a slow receiver delays the acks instead of reordering them', async () => {
    const fast = await startEvolutionSimulator({ port: 0, globalKey: GLOBAL_KEY, ackDelayMs: 0 });
    try {
      const client = axios.create({ baseURL: fast.url, validateStatus: () => true, headers: { apikey: GLOBAL_KEY } });
      const name = uniqueName('slow-receiver');
      const webhook = { url: receiver.url, events: ['SEND_MESSAGE', 'MESSAGES_UPDATE'] };
      await client.post('/instance/create', { instanceName: name, integration: 'WHATSAPP-BAILEYS', webhook });
      fast.scan(name);
      receiver.respondAfter(60);
      await client.post(`/message/sendText/${name}`, { number: PHONE, text: 'x' });
      await waitFor(() => webhooksFor(name).length === 4);
      const trail = webhooksFor(name);
      expect(trail.map((w) => String(dataOf(w)['status']))).toEqual(['PENDING', 'SERVER_ACK', 'DELIVERY_ACK', 'READ']);
      for (let i = 1; i < trail.length; i += 1) {
        const gap = (trail[i]?.at.getTime() ?? 0) - (trail[i - 1]?.at.getTime() ?? 0);
        expect(gap).toBeGreaterThanOrEqual(50);
      }
    } finally {
      await fast.close();
    }
  });

  it('omits sender before the first connection and adds it once open', async () => {
    const inst = await newInstance(allEventsWebhook());
    await waitFor(() => webhooksFor(inst.name, 'instance.create').length === 1);
    const created = webhooksFor(inst.name, 'instance.create')[0];
    expect(created?.body).not.toHaveProperty('sender');
    expect(dataOf(created)).toEqual({ instanceName: inst.name, instanceId: inst.instanceId });

    sim.scan(inst.name, { ownerNumber: '5511955554444' });
    await waitFor(() => webhooksFor(inst.name, 'connection.update').some((w) => dataOf(w)['state'] === 'open'));
    const open = webhooksFor(inst.name, 'connection.update').find((w) => dataOf(w)['state'] === 'open');
    expect(open?.body.sender).toBe('5511955554444@s.whatsapp.net');
    expect(dataOf(open)).toEqual({
      instance: inst.name,
      wuid: '5511955554444@s.whatsapp.net',
      profileName: inst.name,
      profilePictureUrl: null,
      state: 'open',
      statusReason: 200,
    });
  });

  it('replaces a jwt_key header by a signed HS256 Bearer token', async () => {
    const inst = await newInstance(allEventsWebhook({ headers: { jwt_key: 'sekret', 'x-other': '1' } }));
    const created = await waitFor(() => webhooksFor(inst.name, 'instance.create')[0]);
    expect(created.headers).not.toHaveProperty('jwt_key');
    expect(created.headers['x-other']).toBe('1');
    const [header, payload, signature] = String(created.headers['authorization'])
      .replace(/^Bearer /, '')
      .split('.');
    expect(createHmac('sha256', 'sekret').update(`${header}.${payload}`).digest('base64url')).toBe(signature);
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as Json;
    expect(claims).toMatchObject({ app: 'evolution', action: 'webhook' });
    expect(Number(claims['exp']) - Number(claims['iat'])).toBe(600);
  });

  it('exposes the instance token as apikey only when configured', async () => {
    const exposing = await startEvolutionSimulator({ port: 0, globalKey: GLOBAL_KEY, exposeTokenInWebhooks: true });
    try {
      const client = axios.create({
        baseURL: exposing.url,
        validateStatus: () => true,
        headers: { apikey: GLOBAL_KEY },
      });
      const name = uniqueName('expose');
      await client.post('/instance/create', {
        instanceName: name,
        integration: 'WHATSAPP-BAILEYS',
        token: 'tok-x',
        ...allEventsWebhook(),
      });
      const created = await waitFor(() => webhooksFor(name, 'instance.create')[0]);
      expect(created.body.apikey).toBe('tok-x');
      expect(created.body.server_url).toBe(exposing.url);
    } finally {
      await exposing.close();
    }
  });

  it('posts a failed webhook again, as the real server does: a 5xx is retried with a growing wait, a 404 is not', async () => {
    const retrying = await startEvolutionSimulator({ port: 0, globalKey: GLOBAL_KEY, webhookRetryDelayMs: 100 });
    try {
      const client = axios.create({
        baseURL: retrying.url,
        validateStatus: () => true,
        headers: { apikey: GLOBAL_KEY },
      });
      receiver.respondWith(503);
      const name = uniqueName('retry');
      await client.post('/instance/create', {
        instanceName: name,
        integration: 'WHATSAPP-BAILEYS',
        ...allEventsWebhook(),
      });
      const attempts = () =>
        retrying.webhookDeliveries().filter((d) => d.instance === name && d.event === 'instance.create');
      await waitFor(() => attempts().length >= 3 || undefined);
      const [first, second, third] = attempts();
      expect([first!.statusCode, second!.statusCode, third!.statusCode]).toEqual([503, 503, 503]);
      expect(second!.at.getTime() - first!.at.getTime()).toBeGreaterThanOrEqual(100);
      expect(third!.at.getTime() - second!.at.getTime()).toBeGreaterThanOrEqual(200);
      receiver.respondWith(200);
      await waitFor(() => attempts().some((d) => d.statusCode === 200) || undefined);

      receiver.respondWith(404);
      const notRetried = uniqueName('retry404');
      await client.post('/instance/create', {
        instanceName: notRetried,
        integration: 'WHATSAPP-BAILEYS',
        ...allEventsWebhook(),
      });
      await waitFor(() => retrying.webhookDeliveries().some((d) => d.instance === notRetried) || undefined);
      // Three retry waits of a 5xx pass with no second attempt of the 404.
      const before = retrying
        .webhookDeliveries()
        .filter((d) => d.instance === notRetried && d.event === 'instance.create').length;
      await new Promise((resolve) => setTimeout(resolve, 800));
      expect(
        retrying.webhookDeliveries().filter((d) => d.instance === notRetried && d.event === 'instance.create'),
      ).toHaveLength(before);
    } finally {
      receiver.respondWith(200);
      await retrying.close();
    }
  });

  it('logs deliveries with the receiver status or the network error', async () => {
    receiver.respondWith(500);
    const ok = await newInstance(allEventsWebhook());
    const dead = await newInstance({ webhook: { url: 'http://127.0.0.1:1/dead', events: [] } });
    const deliveries = await waitFor(() => {
      const all = sim.webhookDeliveries();
      const mine = all.find((d) => d.instance === ok.name && d.event === 'instance.create');
      const failed = all.find((d) => d.instance === dead.name && d.event === 'instance.create');
      return mine && failed ? { mine, failed } : undefined;
    });
    expect(deliveries.mine).toMatchObject({ url: receiver.url, statusCode: 500, body: { event: 'instance.create' } });
    expect(deliveries.failed.statusCode).toBeUndefined();
    expect(deliveries.failed.error).toMatch(/ECONNREFUSED/);

    const overHttp = await api.get('/__sim/webhooks', asGlobal);
    expect((overHttp.data as unknown as Json[]).some((d) => d['instance'] === dead.name)).toBe(true);
    await api.delete('/__sim/webhooks', asGlobal);
    expect(sim.webhookDeliveries()).toHaveLength(0);
  });

  it('emits messages.upsert for an inbound message and stores it for findMessages', async () => {
    const inst = await openInstance(allEventsWebhook());
    const res = await api.post(
      `/__sim/instances/${inst.name}/inbound`,
      { from: PHONE, text: 'hi there', pushName: 'John' },
      asGlobal,
    );
    expect(res.status).toBe(201);
    const upsert = await waitFor(() => webhooksFor(inst.name, 'messages.upsert')[0]);
    expect(dataOf(upsert)).toMatchObject({
      key: { remoteJid: PHONE_JID, fromMe: false, id: expect.stringMatching(MESSAGE_ID) },
      pushName: 'John',
      status: 'DELIVERY_ACK',
      message: { conversation: 'hi there' },
      messageType: 'conversation',
    });
    const found = await api.post(`/chat/findMessages/${inst.name}`, {}, asGlobal);
    expect((found.data['messages'] as Json)['total']).toBe(1);
  });
});

describe('chat routes', () => {
  it('whatsappNumbers: 200 [{jid, exists, number}]', async () => {
    const inst = await openInstance();
    const res = await api.post(
      `/chat/whatsappNumbers/${inst.name}`,
      { numbers: [PHONE, '5511999990000'] },
      key(inst.token),
    );
    expect(res.status).toBe(200);
    expect(res.data).toEqual([
      { jid: PHONE_JID, exists: true, number: PHONE },
      { jid: '5511999990000@s.whatsapp.net', exists: false, number: '5511999990000' },
    ]);
  });

  it('whatsappNumbers: its own un-enveloped 400 body for invalid input (not-open answers: simulator-not-open)', async () => {
    const inst = await newInstance();
    const invalid = await api.post(`/chat/whatsappNumbers/${inst.name}`, { numbers: [] }, asGlobal);
    expect(invalid.status).toBe(400);
    expect(invalid.data).toEqual({
      status: 400,
      error: 'Bad Request',
      message: [['numbers does not meet minimum length of 1']],
    });
  });

  it('findMessages: pages newest first, filters by key, shows the ack history', async () => {
    const inst = await openInstance();
    const first = messageOf(await sendText(inst, PHONE));
    await sendText(inst, '5511988887777');
    const third = messageOf(await sendText(inst, PHONE));
    await waitFor(() => sim.instance(inst.name)?.messages.every((m) => m.status === 'READ'));

    const page1 = await api.post(`/chat/findMessages/${inst.name}`, { offset: 2, page: 1 }, key(inst.token));
    expect(page1.status).toBe(200);
    const messages = page1.data['messages'] as { total: number; pages: number; currentPage: number; records: Json[] };
    expect(messages).toMatchObject({ total: 3, pages: 2, currentPage: 1 });
    expect(messages.records).toHaveLength(2);
    expect(messages.records[0]).toMatchObject({
      id: expect.any(String),
      key: third.key,
      pushName: 'Você',
      messageType: 'conversation',
      instanceId: inst.instanceId,
      source: 'web',
      MessageUpdate: [{ status: 'SERVER_ACK' }, { status: 'DELIVERY_ACK' }, { status: 'READ' }],
    });

    const page2 = await api.post(`/chat/findMessages/${inst.name}`, { offset: 2, page: 2 }, asGlobal);
    expect(((page2.data['messages'] as Json)['records'] as Json[]).map((r) => r['key'])).toEqual([first.key]);

    const filtered = await api.post(
      `/chat/findMessages/${inst.name}`,
      { where: { key: { remoteJid: PHONE_JID } } },
      asGlobal,
    );
    expect((filtered.data['messages'] as Json)['total']).toBe(2);
  });

  it('markMessageAsRead: 201, and 500 with the fail pair when not connected', async () => {
    const inst = await openInstance();
    const body = { readMessages: [{ id: '3EB0AAAA', fromMe: false, remoteJid: PHONE_JID }] };
    const res = await api.post(`/chat/markMessageAsRead/${inst.name}`, body, asGlobal);
    expect(res.status).toBe(201);
    expect(res.data).toEqual({ message: 'Read messages', read: 'success' });
    sim.setState(inst.name, 'close');
    const closed = await api.post(`/chat/markMessageAsRead/${inst.name}`, body, asGlobal);
    expect(closed.status).toBe(500);
    expect(closed.data).toMatchObject({ response: { message: ['Read messages fail', 'Error: Connection Closed'] } });
    const invalid = await api.post(`/chat/markMessageAsRead/${inst.name}`, {}, asGlobal);
    expect(invalid.data).toMatchObject({
      status: 400,
      response: { message: [['instance requires property "readMessages"']] },
    });
  });

  it('fetchProfilePictureUrl (POST): 200 {wuid, profilePictureUrl:null}', async () => {
    const inst = await newInstance();
    const res = await api.post(`/chat/fetchProfilePictureUrl/${inst.name}`, { number: PHONE }, asGlobal);
    expect(res.status).toBe(200);
    expect(res.data).toEqual({ wuid: PHONE_JID, profilePictureUrl: null });
  });

  it('deleteMessageForEveryone (DELETE with body): 201 revoke and a messages.delete webhook', async () => {
    const inst = await openInstance(allEventsWebhook());
    const sent = messageOf(await sendText(inst));
    const target = { id: sent.key.id, fromMe: true, remoteJid: PHONE_JID };
    const res = await api.delete(`/chat/deleteMessageForEveryone/${inst.name}`, { data: target, ...asGlobal });
    expect(res.status).toBe(201);
    expect(res.data).toMatchObject({
      key: { remoteJid: PHONE_JID, fromMe: true },
      message: { protocolMessage: { key: target, type: 'REVOKE' } },
    });
    const deleted = await waitFor(() => webhooksFor(inst.name, 'messages.delete')[0]);
    expect(deleted.body.data).toEqual(target);
    const invalid = await api.delete(`/chat/deleteMessageForEveryone/${inst.name}`, {
      data: { fromMe: true, remoteJid: PHONE_JID },
      ...asGlobal,
    });
    expect(invalid.data).toMatchObject({ status: 400, response: { message: [['instance requires property "id"']] } });
  });
});

describe('group routes', () => {
  it('create: 201 metadata, not-on-WhatsApp members dropped; validation as nested array', async () => {
    const inst = await openInstance({}, '5511900001111');
    const res = await api.post(
      `/group/create/${inst.name}`,
      { subject: 'Team', description: 'd', participants: [PHONE, '5511999990000'] },
      key(inst.token),
    );
    expect(res.status).toBe(201);
    expect(res.data).toMatchObject({
      id: expect.stringMatching(/^1203630\d{11}@g\.us$/),
      subject: 'Team',
      owner: '5511900001111@s.whatsapp.net',
      desc: 'd',
      size: 2,
      participants: [
        { id: '5511900001111@s.whatsapp.net', admin: 'superadmin' },
        { id: PHONE_JID, admin: null },
      ],
    });
    const invalid = await api.post(`/group/create/${inst.name}`, { participants: ['123'] }, asGlobal);
    expect(invalid.status).toBe(400);
    expect(invalid.data).toMatchObject({
      response: {
        message: [['"participants" must be an array of numeric strings', 'instance requires property "subject"']],
      },
    });
  });

  it('fetchAllGroups: getParticipants is mandatory; participants only when true', async () => {
    const inst = await openInstance();
    const group = (await api.post(`/group/create/${inst.name}`, { subject: 'G', participants: [PHONE] }, asGlobal))
      .data;
    const missing = await api.get(`/group/fetchAllGroups/${inst.name}`, asGlobal);
    expect(missing.status).toBe(400);
    expect(missing.data).toMatchObject({
      response: { message: ['The getParticipants needs to be informed in the query'] },
    });
    const without = await api.get(`/group/fetchAllGroups/${inst.name}?getParticipants=false`, asGlobal);
    expect(without.status).toBe(200);
    expect(without.data).toEqual([expect.objectContaining({ id: group['id'], subject: 'G', pictureUrl: null })]);
    expect((without.data as unknown as Json[])[0]).not.toHaveProperty('participants');
    const withParticipants = await api.get(`/group/fetchAllGroups/${inst.name}?getParticipants=true`, asGlobal);
    expect((withParticipants.data as unknown as Json[])[0]?.['participants']).toHaveLength(2);
  });

  it('updateParticipant: groupJid from the query, {property,message} validation, 201 per-participant codes', async () => {
    const inst = await openInstance();
    const group = (await api.post(`/group/create/${inst.name}`, { subject: 'G', participants: [PHONE] }, asGlobal))
      .data;
    const bareId = String(group['id']).replace('@g.us', '');
    const noJid = await api.post(
      `/group/updateParticipant/${inst.name}`,
      { action: 'add', participants: [PHONE] },
      asGlobal,
    );
    expect(noJid.status).toBe(400);
    expect(noJid.data).toMatchObject({
      response: { message: ['The group id needs to be informed in the query', 'ex: "groupJid=120362@g.us"'] },
    });
    const badAction = await api.post(
      `/group/updateParticipant/${inst.name}?groupJid=${bareId}`,
      { action: 'kick', participants: [PHONE] },
      asGlobal,
    );
    expect(badAction.data).toMatchObject({
      response: {
        message: [{ property: 'action', message: 'action is not one of enum values: add,remove,promote,demote' }],
      },
    });
    const res = await api.post(
      `/group/updateParticipant/${inst.name}?groupJid=${bareId}`,
      { action: 'add', participants: ['5511977770001', PHONE] },
      asGlobal,
    );
    expect(res.status).toBe(201);
    expect(res.data).toEqual({
      updateParticipants: [
        { status: '200', jid: '5511977770001@s.whatsapp.net', content: expect.any(Object) },
        { status: '409', jid: PHONE_JID, content: expect.any(Object) },
      ],
    });
  });
});

describe('webhook and settings config', () => {
  it('webhook/find is null until set; set without events → 500; events [] → 201 row with all events', async () => {
    const inst = await newInstance();
    const none = await api.get(`/webhook/find/${inst.name}`, asGlobal);
    expect(none.status).toBe(200);
    expect(none.data).toBeNull();

    const crash = await api.post(
      `/webhook/set/${inst.name}`,
      { webhook: { enabled: true, url: receiver.url } },
      asGlobal,
    );
    expect(crash.status).toBe(500);
    expect(crash.data).toEqual({
      status: 500,
      error: 'Internal Server Error',
      response: { message: "Cannot read properties of undefined (reading 'length')" },
    });

    const res = await api.post(
      `/webhook/set/${inst.name}`,
      { webhook: { enabled: true, url: receiver.url, events: [] } },
      key(inst.token),
    );
    expect(res.status).toBe(201);
    expect(res.data).toEqual({
      id: expect.any(String),
      url: receiver.url,
      headers: null,
      enabled: true,
      events: expect.arrayContaining(['SEND_MESSAGE', 'MESSAGES_UPDATE', 'CONNECTION_UPDATE']),
      webhookByEvents: false,
      webhookBase64: false,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
      instanceId: inst.instanceId,
    });
    expect(res.data['events']).toHaveLength(31);
    expect((await api.get(`/webhook/find/${inst.name}`, asGlobal)).data).toEqual(res.data);
  });

  it('webhook/set is a partial upsert; enabled:false empties events; URLs are not validated', async () => {
    const inst = await newInstance();
    const path = `/webhook/set/${inst.name}`;
    await api.post(
      path,
      { webhook: { enabled: true, url: receiver.url, headers: { 'x-a': '1' }, byEvents: true, events: [] } },
      asGlobal,
    );
    const updated = await api.post(
      path,
      { webhook: { enabled: true, url: 'not a url', events: ['SEND_MESSAGE'] } },
      asGlobal,
    );
    expect(updated.status).toBe(201);
    expect(updated.data).toMatchObject({
      url: 'not a url',
      headers: { 'x-a': '1' },
      webhookByEvents: true,
      events: ['SEND_MESSAGE'],
    });
    const disabled = await api.post(path, { webhook: { enabled: false, url: receiver.url } }, asGlobal);
    expect(disabled.data).toMatchObject({ enabled: false, events: [] });
  });

  it('webhook/set validation: nested-array messages', async () => {
    const inst = await newInstance();
    const noUrl = await api.post(`/webhook/set/${inst.name}`, { webhook: { enabled: true, events: [] } }, asGlobal);
    expect(noUrl.data).toEqual({
      status: 400,
      error: 'Bad Request',
      response: { message: [['webhook requires property "url"']] },
    });
    const badEvent = await api.post(
      `/webhook/set/${inst.name}`,
      { webhook: { enabled: true, url: 'http://x', events: ['NOPE'] } },
      asGlobal,
    );
    const message = (badEvent.data as { response: { message: string[][] } }).response.message;
    expect(message[0]?.[0]).toMatch(/^webhook\.events\[0\] is not one of enum values: APPLICATION_STARTUP,/);
    expect((await api.post(`/webhook/set/${inst.name}`, {}, asGlobal)).data).toMatchObject({
      response: { message: [['instance requires property "webhook"']] },
    });
  });

  it('settings/set: required booleans, 201 echo of the body; settings/find returns what was stored', async () => {
    const inst = await newInstance();
    const missing = await api.post(`/settings/set/${inst.name}`, { rejectCall: true }, asGlobal);
    expect(missing.status).toBe(400);
    expect((missing.data as { response: { message: string[][] } }).response.message).toEqual([
      [
        'instance requires property "groupsIgnore"',
        'instance requires property "alwaysOnline"',
        'instance requires property "readMessages"',
        'instance requires property "readStatus"',
        'instance requires property "syncFullHistory"',
      ],
    ]);
    const body = {
      rejectCall: true,
      msgCall: 'busy',
      groupsIgnore: false,
      alwaysOnline: true,
      readMessages: false,
      readStatus: false,
      syncFullHistory: false,
      extra: 1,
    };
    const res = await api.post(`/settings/set/${inst.name}`, body, key(inst.token));
    expect(res.status).toBe(201);
    expect(res.data).toEqual({ settings: { instanceName: inst.name, settings: body } });
    const found = await api.get(`/settings/find/${inst.name}`, asGlobal);
    expect(found.data).toEqual({
      rejectCall: true,
      msgCall: 'busy',
      groupsIgnore: false,
      alwaysOnline: true,
      readMessages: false,
      readStatus: false,
      syncFullHistory: false,
      wavoipToken: '',
    });
  });
});

describe('fault switches over HTTP (/__sim)', () => {
  it('requires the global key', async () => {
    const inst = await newInstance();
    expect((await api.post('/__sim/reset', {})).status).toBe(401);
    expect((await api.post('/__sim/reset', {}, key(inst.token))).status).toBe(401);
    expect((await api.get('/__sim/nope', asGlobal)).status).toBe(404);
    expect((await api.post('/__sim/instances/ghost/scan', {}, asGlobal)).status).toBe(404);
  });

  it('state switch: sets the state and emits connection.update (open, close with status.instance, refused)', async () => {
    const inst = await newInstance(allEventsWebhook());
    const open = await api.post(
      `/__sim/instances/${inst.name}/state`,
      { state: 'open', ownerNumber: '5511988880000' },
      asGlobal,
    );
    expect(open.status).toBe(200);
    expect((await api.get(`/instance/connectionState/${inst.name}`, asGlobal)).data).toEqual({
      instance: { instanceName: inst.name, state: 'open' },
    });
    await waitFor(() => webhooksFor(inst.name, 'connection.update').length === 1);
    expect(dataOf(webhooksFor(inst.name, 'connection.update')[0])).toMatchObject({
      state: 'open',
      wuid: '5511988880000@s.whatsapp.net',
    });

    await api.post(`/__sim/instances/${inst.name}/state`, { state: 'close' }, asGlobal);
    await waitFor(() => webhooksFor(inst.name, 'connection.update').length === 2);
    expect(
      webhooksFor(inst.name, 'status.instance', 'connection.update')
        .slice(-2)
        .map((w) => w.body.event),
    ).toEqual(['status.instance', 'connection.update']);
    expect(dataOf(webhooksFor(inst.name, 'status.instance')[0])).toMatchObject({
      status: 'closed',
      disconnectionReasonCode: 401,
    });

    await api.post(`/__sim/instances/${inst.name}/state`, { state: 'refused' }, asGlobal);
    expect(sim.instance(inst.name)?.state).toBe('refused');
    await waitFor(() => webhooksFor(inst.name, 'connection.update').length === 3);
    expect(dataOf(webhooksFor(inst.name, 'connection.update')[2])).toMatchObject({
      state: 'refused',
      statusReason: 428,
    });

    const invalid = await api.post(`/__sim/instances/${inst.name}/state`, { state: 'sleeping' }, asGlobal);
    expect(invalid.status).toBe(400);
  });

  it('scan shortcut: connecting → open, visible in connectionState and fetchInstances', async () => {
    const inst = await newInstance({ qrcode: true });
    const res = await api.post(`/__sim/instances/${inst.name}/scan`, { ownerNumber: '5511944443333' }, asGlobal);
    expect(res.data).toEqual({
      instance: { instanceName: inst.name, state: 'open' },
      ownerJid: '5511944443333@s.whatsapp.net',
    });
    const rows = (await api.get(`/instance/fetchInstances?instanceName=${inst.name}`, asGlobal))
      .data as unknown as Json[];
    expect(rows[0]).toMatchObject({ connectionStatus: 'open', ownerJid: '5511944443333@s.whatsapp.net' });
  });

  it('rotate-token: the old token gets 401, the new one works and fetchInstances shows it', async () => {
    const inst = await newInstance();
    const res = await api.post(`/__sim/instances/${inst.name}/rotate-token`, {}, asGlobal);
    expect(res.status).toBe(200);
    const token = String(res.data['token']);
    expect(token).not.toBe(inst.token);
    const path = `/instance/connectionState/${inst.name}`;
    expect((await api.get(path, key(inst.token))).data).toEqual({
      status: 401,
      error: 'Unauthorized',
      response: { message: 'Unauthorized' },
    });
    expect((await api.get(path, key(token))).status).toBe(200);
    const rows = (await api.get(`/instance/fetchInstances?instanceName=${inst.name}`, asGlobal))
      .data as unknown as Json[];
    expect(rows[0]?.['token']).toBe(token);
    expect((await api.get('/instance/fetchInstances', key(inst.token))).status).toBe(401);
  });

  it('faults: fail the next N matching calls with a status (default envelope), then recover', async () => {
    const inst = await newInstance();
    const fault = await api.post(
      '/__sim/faults',
      { route: 'GET /instance/connectionState', count: 2, status: 503 },
      asGlobal,
    );
    expect(fault.status).toBe(201);
    expect(fault.data).toMatchObject({ method: 'GET', pattern: '/instance/connectionState', remaining: 2 });
    const path = `/instance/connectionState/${inst.name}`;
    const first = await api.get(path, asGlobal);
    expect(first.status).toBe(503);
    expect(first.data).toEqual({
      status: 503,
      error: 'Service Unavailable',
      response: { message: ['Service Unavailable'] },
    });
    expect((await api.get(path, asGlobal)).status).toBe(503);
    expect((await api.get(path, asGlobal)).status).toBe(200);
    expect((await api.get('/__sim/faults', asGlobal)).data).toEqual([]);
  });

  it('faults: a custom body, and 401 "Unauthorized" by default (expired token)', async () => {
    const inst = await openInstance();
    sim.addFault({ route: 'POST /message/sendText', status: 401 });
    const expired = await sendText(inst);
    expect(expired.status).toBe(401);
    expect(expired.data).toEqual({ status: 401, error: 'Unauthorized', response: { message: 'Unauthorized' } });
    sim.addFault({ route: '/message/sendText', status: 502, body: { custom: true } });
    const custom = await sendText(inst);
    expect(custom.status).toBe(502);
    expect(custom.data).toEqual({ custom: true });
    expect((await sendText(inst)).status).toBe(201);
  });

  it('faults: match whole path segments only', async () => {
    const inst = await newInstance();
    sim.addFault({ route: 'GET /instance/connect', status: 500 });
    expect((await api.get(`/instance/connectionState/${inst.name}`, asGlobal)).status).toBe(200);
    expect((await api.get(`/instance/connect/${inst.name}`, asGlobal)).status).toBe(500);
  });

  it('faults: timeoutMs hangs the call and then drops the socket', async () => {
    const inst = await openInstance();
    sim.addFault({ route: 'POST /message/sendText', timeoutMs: 150 });
    const started = Date.now();
    await expect(sendText(inst)).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect((await sendText(inst)).status).toBe(201);
  });

  it('faults: DELETE clears them; an invalid spec is a 400', async () => {
    const inst = await newInstance();
    sim.addFault({ route: 'GET /instance/connectionState', count: 5, status: 500 });
    const cleared = await api.delete('/__sim/faults', asGlobal);
    expect(cleared.data).toEqual({ cleared: 1 });
    expect((await api.get(`/instance/connectionState/${inst.name}`, asGlobal)).status).toBe(200);
    const invalid = await api.post('/__sim/faults', { route: 'GET instance', count: 0 }, asGlobal);
    expect(invalid.status).toBe(400);
  });

  it('not-on-whatsapp: configured numbers answer exists:false', async () => {
    const inst = await openInstance();
    const res = await api.post('/__sim/not-on-whatsapp', { numbers: ['+55 11 98888-7777'] }, asGlobal);
    expect(res.data).toEqual({ numbers: ['5511988887777'] });
    const send = await sendText(inst, '5511988887777');
    expect(send.status).toBe(400);
    expect(send.data).toMatchObject({
      response: { message: [{ jid: '5511988887777@s.whatsapp.net', exists: false }] },
    });
    expect((await sendText(inst, PHONE)).status).toBe(201);
  });

  it('acks: replaces the status sequence that follows a send', async () => {
    const inst = await openInstance(allEventsWebhook());
    const res = await api.post('/__sim/acks', { statuses: ['SERVER_ACK', 'ERROR'] }, asGlobal);
    expect(res.status).toBe(200);
    const id = messageOf(await sendText(inst)).key.id;
    await waitFor(() => statusUpdates(inst.name, id).includes('ERROR'));
    expect(statusUpdates(inst.name, id)).toEqual(['SERVER_ACK', 'ERROR']);
    expect((await api.post('/__sim/acks', { statuses: ['SENT'] }, asGlobal)).status).toBe(400);
  });

  it('requests: the log shows what the upstream received (headers and body unredacted) and can be cleared', async () => {
    const inst = await openInstance();
    await sendText(inst, PHONE, { text: 'logged' });
    const log = (await api.get('/__sim/requests', asGlobal)).data as unknown as Json[];
    const entry = log.find((r) => r['path'] === `/message/sendText/${inst.name}`);
    expect(entry).toMatchObject({
      method: 'POST',
      headers: expect.objectContaining({ apikey: inst.token }),
      body: { number: PHONE, text: 'logged' },
      at: expect.any(String),
    });
    expect(log.some((r) => String(r['path']).startsWith('/__sim'))).toBe(false);
    await api.delete('/__sim/requests', asGlobal);
    expect((await api.get('/__sim/requests', asGlobal)).data).toEqual([]);
    expect(sim.requests()).toHaveLength(0);
  });

  it('reset: forgets every instance', async () => {
    const inst = await newInstance();
    expect((await api.post('/__sim/reset', {}, asGlobal)).data).toEqual({ reset: true });
    expect((await api.get(`/instance/connectionState/${inst.name}`, asGlobal)).status).toBe(404);
    expect(sim.instances()).toEqual([]);
  });
});

describe('programmatic API', () => {
  it('instances() is a read-only snapshot', async () => {
    const inst = await newInstance();
    const snapshot = sim.instances().find((i) => i.name === inst.name);
    expect(snapshot).toMatchObject({ name: inst.name, token: inst.token, state: 'close' });
    (snapshot as unknown as { state: string }).state = 'open';
    expect(sim.instance(inst.name)?.state).toBe('close');
  });

  it('requests() is a snapshot with clear()', async () => {
    const inst = await newInstance();
    await api.get(`/instance/connectionState/${inst.name}`, asGlobal);
    const log = sim.requests();
    expect(log.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /instance/create',
      `GET /instance/connectionState/${inst.name}`,
    ]);
    log.clear();
    expect(sim.requests()).toHaveLength(0);
  });

  it('throws for an unknown instance', () => {
    expect(() => sim.scan('ghost')).toThrow('unknown instance "ghost"');
  });
});

describe('lifecycle', () => {
  it('close() ends keep-alive sockets and parked requests promptly', async () => {
    const local = await startEvolutionSimulator({ port: 0, globalKey: GLOBAL_KEY, maxSendDelayMs: 60_000 });
    const agent = new http.Agent({ keepAlive: true });
    const client = axios.create({
      baseURL: local.url,
      validateStatus: () => true,
      httpAgent: agent,
      headers: { apikey: GLOBAL_KEY },
    });
    await client.post('/instance/create', { instanceName: 'k', integration: 'WHATSAPP-BAILEYS' });
    local.scan('k');
    const parked = client.post('/message/sendText/k', { number: PHONE, text: 'x', delay: 20_000 }).then(
      () => 'answered',
      () => 'dropped',
    );
    await waitFor(() => local.requests().some((r) => r.path === '/message/sendText/k'));

    const started = Date.now();
    await local.close();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(await parked).toBe('dropped');
    await expect(client.get('/')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    agent.destroy();
  });

  it('caps a send delay at maxSendDelayMs', async () => {
    const local = await startEvolutionSimulator({ port: 0, globalKey: GLOBAL_KEY, maxSendDelayMs: 100 });
    try {
      const client = axios.create({ baseURL: local.url, validateStatus: () => true, headers: { apikey: GLOBAL_KEY } });
      await client.post('/instance/create', { instanceName: 'cap', integration: 'WHATSAPP-BAILEYS' });
      local.scan('cap');
      const started = Date.now();
      const res = await client.post('/message/sendText/cap', { number: PHONE, text: 'x', delay: 20_000 });
      expect(res.status).toBe(201);
      expect(Date.now() - started).toBeGreaterThanOrEqual(90);
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      await local.close();
    }
  });
});
