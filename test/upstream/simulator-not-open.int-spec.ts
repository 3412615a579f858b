import axios, { AxiosInstance, AxiosResponse } from 'axios';
import { EvolutionSimulator, startEvolutionSimulator } from './evolution-simulator';
import { startWebhookReceiver, waitFor, WebhookReceiver } from './webhook-receiver';

/**
 * Calls that need the WhatsApp socket of an instance that is not open, answered as a real 2.3.6 server does
 * (contract §12): a TypeError naming the missing socket's method for an instance never connected, "Connection
 * Closed" once it has a socket that is down.
 */
const GLOBAL_KEY = 'test-global-key';
const asGlobal = { headers: { apikey: GLOBAL_KEY } };
const PHONE = '5511999998888';
const GROUP = '120363012345678901@g.us';

type Json = Record<string, unknown>;

let sim: EvolutionSimulator;
let receiver: WebhookReceiver;
let api: AxiosInstance;
let seq = 0;

beforeAll(async () => {
  sim = await startEvolutionSimulator({ port: 0, globalKey: GLOBAL_KEY, ackDelayMs: 5 });
  receiver = await startWebhookReceiver();
  api = axios.create({ baseURL: sim.url, validateStatus: () => true });
});

afterEach(() => {
  sim.reset();
  receiver.clear();
});

afterAll(async () => {
  await sim.close();
  await receiver.close();
});

/** Created without `qrcode`: the upstream has made no socket for it yet. */
async function neverConnected(): Promise<string> {
  seq += 1;
  const name = `not-open-${seq}`;
  const res = await api.post(
    '/instance/create',
    { instanceName: name, integration: 'WHATSAPP-BAILEYS', webhook: { url: receiver.url, events: [] } },
    asGlobal,
  );
  expect(res.status).toBe(201);
  return name;
}

/** Connected once with WhatsApp out of reach: it has a socket and retries for ever (contract §12). */
async function retrying(): Promise<string> {
  sim.configure({ whatsappReachable: false, reconnectIntervalMs: 1000 });
  const name = await neverConnected();
  expect((await api.get(`/instance/connect/${name}`, asGlobal)).data).toEqual({ count: 0 });
  return name;
}

const envelope500 = (message: unknown): Json => ({
  status: 500,
  error: 'Internal Server Error',
  response: { message },
});
const envelope400 = (message: unknown): Json => ({ status: 400, error: 'Bad Request', response: { message } });
const missing = (method: string): string => `Cannot read properties of undefined (reading '${method}')`;

function post(path: string, name: string, body: Json): Promise<AxiosResponse<Json>> {
  return api.post(`${path}/${name}`, body, asGlobal);
}

/** One body per send that checks the number first (sendMedia uploads first and is asserted on its own). */
const NUMBER_CHECKED_SENDS: [string, Json][] = [
  ['/message/sendText', { number: PHONE, text: 'hi' }],
  ['/message/sendLocation', { number: PHONE, latitude: 1, longitude: 2, name: 'n', address: 'a' }],
  ['/message/sendPoll', { number: PHONE, name: 'q', selectableCount: 1, values: ['a', 'b'] }],
  ['/message/sendWhatsAppAudio', { number: PHONE, audio: 'https://media.example.com/a.mp3' }],
  [
    '/message/sendReaction',
    { key: { id: '3EB0AA', remoteJid: `${PHONE}@s.whatsapp.net`, fromMe: true }, reaction: '👍' },
  ],
];
const MEDIA = { number: PHONE, mediatype: 'document', media: 'https://media.example.com/a.pdf' };

describe('sends on an instance that is not open (contract §12)', () => {
  it('never connected: the TypeError of the missing socket, a raw 500 or the wrapped form of each route', async () => {
    const name = await neverConnected();
    for (const [path, body] of NUMBER_CHECKED_SENDS) {
      const res = await post(path, name, body);
      expect([path, res.status, res.data]).toEqual([path, 500, envelope500(missing('onWhatsApp'))]);
    }
    const media = await post('/message/sendMedia', name, MEDIA);
    expect(media.status).toBe(500);
    expect(media.data).toEqual(envelope500([`TypeError: ${missing('waUploadToServer')}`]));
    const group = await post('/message/sendText', name, { number: GROUP, text: 'hi' });
    expect(group.status).toBe(400);
    expect(group.data).toEqual(envelope400([`TypeError: ${missing('sendMessage')}`]));
    // Validation still comes first.
    const invalid = await post('/message/sendText', name, { number: PHONE });
    expect(invalid.data).toEqual(envelope400([['instance requires property "text"']]));
  });

  it('retrying (a connect that cannot reach WhatsApp): 500 "Connection Closed", a string; sendMedia in an array', async () => {
    const name = await retrying();
    for (const [path, body] of NUMBER_CHECKED_SENDS) {
      const res = await post(path, name, body);
      expect([path, res.status, res.data]).toEqual([path, 500, envelope500('Connection Closed')]);
    }
    const media = await post('/message/sendMedia', name, MEDIA);
    expect(media.status).toBe(500);
    expect(media.data).toEqual(envelope500(['Error: Connection Closed']));
    // The number check is what fails: a number that is not on WhatsApp gets the same answer.
    const absent = await post('/message/sendText', name, { number: '5511999990000', text: 'hi' });
    expect(absent.data).toEqual(envelope500('Connection Closed'));
    // A group skips the number check and fails in the send, whose catch answers 400.
    const group = await post('/message/sendText', name, { number: GROUP, text: 'hi' });
    expect(group.status).toBe(400);
    expect(group.data).toEqual(envelope400(['Error: Connection Closed']));
  });

  it('after a logout the socket is down, not missing: "Connection Closed"', async () => {
    const name = await neverConnected();
    sim.scan(name);
    expect((await api.delete(`/instance/logout/${name}`, asGlobal)).status).toBe(200);
    const res = await post('/message/sendText', name, { number: PHONE, text: 'hi' });
    expect(res.status).toBe(500);
    expect(res.data).toEqual(envelope500('Connection Closed'));
  });
});

describe('chat and group routes on an instance that is not open (contract §12)', () => {
  it('whatsappNumbers: 400 {} when never connected, the Boom once the socket is down', async () => {
    const fresh = await neverConnected();
    const never = await post('/chat/whatsappNumbers', fresh, { numbers: [PHONE] });
    expect(never.status).toBe(400);
    expect(never.data).toEqual({});
    const down = await post('/chat/whatsappNumbers', await retrying(), { numbers: [PHONE] });
    expect(down.status).toBe(400);
    expect(down.data).not.toHaveProperty('response');
    expect(down.data).toMatchObject({
      isBoom: true,
      output: { statusCode: 428, payload: { message: 'Connection Closed' } },
    });
  });

  it('fetchAllGroups: a raw 500 when not open, after the getParticipants check', async () => {
    const fresh = await neverConnected();
    expect((await api.get(`/group/fetchAllGroups/${fresh}`, asGlobal)).status).toBe(400);
    const never = await api.get(`/group/fetchAllGroups/${fresh}?getParticipants=false`, asGlobal);
    expect(never.status).toBe(500);
    expect(never.data).toEqual(envelope500('Cannot convert undefined or null to object'));
    const down = await api.get(`/group/fetchAllGroups/${await retrying()}?getParticipants=true`, asGlobal);
    expect(down.status).toBe(500);
    expect(down.data).toEqual(envelope500('Connection Closed'));
  });

  it('never connected: the wrapped TypeError naming the socket method each route calls', async () => {
    const name = await neverConnected();
    const key = { id: '3EB0AA', fromMe: false, remoteJid: `${PHONE}@s.whatsapp.net` };
    const read = await post('/chat/markMessageAsRead', name, { readMessages: [key] });
    expect([read.status, read.data]).toEqual([
      500,
      envelope500(['Read messages fail', `TypeError: ${missing('readMessages')}`]),
    ]);
    const revoke = await api.delete(`/chat/deleteMessageForEveryone/${name}`, { ...asGlobal, data: key });
    expect([revoke.status, revoke.data]).toEqual([
      500,
      envelope500(['Error while deleting message for everyone', `TypeError: ${missing('sendMessage')}`]),
    ]);
    const group = await post('/group/create', name, { subject: 'G', participants: [PHONE] });
    expect([group.status, group.data]).toEqual([
      500,
      envelope500(['Error creating group', `TypeError: ${missing('groupCreate')}`]),
    ]);
    const update = await post('/group/updateParticipant', name, {
      groupJid: GROUP,
      action: 'add',
      participants: [PHONE],
    });
    expect([update.status, update.data]).toEqual([
      400,
      envelope400(['Error updating participants', `TypeError: ${missing('groupParticipantsUpdate')}`]),
    ]);
  });
});

describe('disconnectionObject after a logout (contract §12)', () => {
  it('fetchInstances shows the JSON string the status.instance webhook carried, null before', async () => {
    const name = await neverConnected();
    const row = async (): Promise<Json> =>
      ((await api.get(`/instance/fetchInstances?instanceName=${name}`, asGlobal)).data as Json[])[0] ?? {};
    expect(await row()).toMatchObject({ disconnectionObject: null, disconnectionReasonCode: null });
    sim.scan(name);
    expect((await api.delete(`/instance/logout/${name}`, asGlobal)).status).toBe(200);

    const after = await row();
    expect(after).toMatchObject({ connectionStatus: 'close', disconnectionReasonCode: 401 });
    expect(typeof after['disconnectionObject']).toBe('string');
    const parsed = JSON.parse(after['disconnectionObject'] as string) as Json;
    expect(parsed).toMatchObject({ error: { output: { statusCode: 401 } }, date: expect.any(String) });
    await waitFor(() => receiver.received.some((r) => r.body.instance === name && r.body.event === 'status.instance'));
    const status = receiver.received.find((r) => r.body.instance === name && r.body.event === 'status.instance');
    expect((status?.body.data as Json)['disconnectionObject']).toBe(after['disconnectionObject']);
  });
});

describe('the connectionClosed fault answers as a route whose socket went down', () => {
  it('sends 500 "Connection Closed", sendMedia in an array, whatsappNumbers the 400 Boom, others 500', async () => {
    const name = await neverConnected();
    sim.scan(name);
    sim.addFault({ route: 'POST /message/*', count: 2, connectionClosed: true });
    sim.addFault({ route: 'POST /chat/whatsappNumbers', connectionClosed: true });
    sim.addFault({ route: 'GET /instance/connectionState', connectionClosed: true });
    const text = await post('/message/sendText', name, { number: PHONE, text: 'hi' });
    expect([text.status, text.data]).toEqual([500, envelope500('Connection Closed')]);
    const media = await post('/message/sendMedia', name, MEDIA);
    expect([media.status, media.data]).toEqual([500, envelope500(['Error: Connection Closed'])]);
    const numbers = await post('/chat/whatsappNumbers', name, { numbers: [PHONE] });
    expect(numbers.status).toBe(400);
    expect(numbers.data).toMatchObject({ isBoom: true, output: { payload: { message: 'Connection Closed' } } });
    const state = await api.get(`/instance/connectionState/${name}`, asGlobal);
    expect([state.status, state.data]).toEqual([500, envelope500('Connection Closed')]);
    // The faults are used up: the open instance sends again.
    expect((await post('/message/sendText', name, { number: PHONE, text: 'hi' })).status).toBe(201);
  });
});
