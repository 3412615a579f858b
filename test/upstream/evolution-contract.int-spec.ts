import axios, { AxiosInstance, AxiosResponse } from 'axios';
import { contractMode, ContractTarget, openContractTarget, uniqueInstanceName } from './contract-target';
import type { EvolutionSimulator } from './evolution-simulator';
import { waitFor } from './webhook-receiver';

/**
 * The Evolution API 2.3.6 contract on the routes that need no phone (contract §11, §12): create without a QR,
 * connectionState, fetchInstances, webhook and settings, delete, and the error shapes. By default it runs against
 * the in-process simulator; with EVOLUTION_CONTRACT_URL and EVOLUTION_CONTRACT_KEY against that server instead
 * (docs/simulator.md). Nothing here connects to WhatsApp, and every instance it creates it deletes.
 */
const mode = contractMode();

/** What needs the simulator's /__sim controls, and so runs only against it. */
const NEEDS_CONTROLS =
  'a retrying instance (needs WhatsApp out of reach: the whatsappReachable switch) and a logout (needs an open ' +
  'session: a scan)';
if (mode.real) {
  process.stdout.write(
    `Evolution contract suite against ${mode.url}: not run there, because it needs the simulator's controls: ` +
      `${NEEDS_CONTROLS}.\n`,
  );
}

type Json = Record<string, unknown>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const PHONE = '5511999998888';
/** Polls a shared real server gently. */
const POLL_MS = 200;

let target: ContractTarget;
let api: AxiosInstance;
const created: string[] = [];

const key = (apikey: string | null): { headers: Record<string, string> } => ({
  headers: apikey === null ? {} : { apikey },
});
const global = (): { headers: Record<string, string> } => key(target.globalKey);
const envelope = (status: number, error: string, message: unknown): Json => ({ status, error, response: { message } });

beforeAll(async () => {
  target = await openContractTarget(mode);
  api = axios.create({ baseURL: target.url, validateStatus: () => true, timeout: 20_000 });
});

afterAll(async () => {
  // A real server is shared: leave nothing behind, whatever failed.
  for (const name of created) await api.delete(`/instance/delete/${encodeURIComponent(name)}`, global());
  await target.close();
});

/** Creates an instance that never connects (no `qrcode`) and remembers it for the clean-up. */
async function createInstance(label: string, extra: Json = {}): Promise<{ name: string; res: AxiosResponse<Json> }> {
  const name = uniqueInstanceName(label);
  const res = await api.post<Json>(
    '/instance/create',
    { instanceName: name, integration: 'WHATSAPP-BAILEYS', ...extra },
    global(),
  );
  if (res.status === 201) created.push(name);
  return { name, res };
}

async function instance(label: string): Promise<{ name: string; token: string }> {
  const { name, res } = await createInstance(label);
  expect(res.status).toBe(201);
  return { name, token: res.data['hash'] as string };
}

describe(`Evolution API contract, phone-less routes (${mode.real ? mode.url : 'in-process simulator'})`, () => {
  it('create without qrcode: 201, status close, the token as a plain-string hash, no qrcode key', async () => {
    const token = uniqueInstanceName('token').toUpperCase();
    const { name, res } = await createInstance('create', { token });
    expect(res.status).toBe(201);
    expect(res.data['instance']).toMatchObject({
      instanceName: name,
      instanceId: expect.stringMatching(UUID),
      integration: 'WHATSAPP-BAILEYS',
      status: 'close',
    });
    expect(res.data['hash']).toBe(token);
    expect(res.data).not.toHaveProperty('qrcode');
  });

  it('create: a taken name is 403, an instance token is 401, a webhook without events is 400 and rolled back', async () => {
    const inst = await instance('taken');
    const taken = await api.post(
      '/instance/create',
      { instanceName: inst.name, integration: 'WHATSAPP-BAILEYS' },
      global(),
    );
    expect(taken.status).toBe(403);
    expect(taken.data).toEqual(envelope(403, 'Forbidden', [`This name "${inst.name}" is already in use.`]));
    const byToken = await api.post(
      '/instance/create',
      { instanceName: uniqueInstanceName('token'), integration: 'WHATSAPP-BAILEYS' },
      key(inst.token),
    );
    expect(byToken.status).toBe(401);
    const noEvents = await createInstance('noevents', { webhook: { url: 'https://hooks.example.com/x' } });
    expect(noEvents.res.status).toBe(400);
    await waitFor(
      async () => (await api.get(`/instance/fetchInstances?instanceName=${noEvents.name}`, global())).status === 404,
      10_000,
      POLL_MS,
    );
  });

  it('connectionState: close for an instance never connected', async () => {
    const inst = await instance('state');
    const res = await api.get(`/instance/connectionState/${inst.name}`, key(inst.token));
    expect(res.status).toBe(200);
    expect(res.data).toEqual({ instance: { instanceName: inst.name, state: 'close' } });
  });

  it('fetchInstances: the row by name, only its own for an instance token, 404 for an unknown name', async () => {
    const inst = await instance('fetch');
    const res = await api.get<Json[]>(`/instance/fetchInstances?instanceName=${inst.name}`, global());
    expect(res.status).toBe(200);
    expect(res.data).toHaveLength(1);
    expect(res.data[0]).toMatchObject({
      id: expect.stringMatching(UUID),
      name: inst.name,
      connectionStatus: 'close',
      ownerJid: null,
      integration: 'WHATSAPP-BAILEYS',
      token: inst.token,
      disconnectionReasonCode: null,
      disconnectionObject: null,
      Setting: expect.objectContaining({ rejectCall: false, groupsIgnore: false }),
    });
    const own = await api.get<Json[]>('/instance/fetchInstances', key(inst.token));
    expect(own.status).toBe(200);
    expect(own.data.map((row) => row['name'])).toEqual([inst.name]);
    const unknown = uniqueInstanceName('unknown');
    const missing = await api.get(`/instance/fetchInstances?instanceName=${unknown}`, global());
    expect(missing.status).toBe(404);
    expect(missing.data).toEqual(envelope(404, 'Not Found', [`Instance "${unknown}" not found`]));
  });

  it('auth: 404 for an unknown instance before the key; 401 with a string message for a missing or foreign key', async () => {
    const unknown = uniqueInstanceName('nokey');
    const notFound = await api.get(`/instance/connectionState/${unknown}`, key(null));
    expect(notFound.status).toBe(404);
    expect(notFound.data).toEqual(envelope(404, 'Not Found', [`The "${unknown}" instance does not exist`]));
    const a = await instance('auth-a');
    const b = await instance('auth-b');
    for (const apikey of [null, 'wrong-key', b.token]) {
      const res = await api.get(`/instance/connectionState/${a.name}`, key(apikey));
      expect([apikey, res.status, res.data]).toEqual([apikey, 401, envelope(401, 'Unauthorized', 'Unauthorized')]);
    }
  });

  it('webhook: null until set; set without events is 500; events [] stores all; a partial upsert; URLs unchecked', async () => {
    const inst = await instance('webhook');
    const none = await api.get(`/webhook/find/${inst.name}`, global());
    expect([none.status, none.data]).toEqual([200, null]);
    const noEvents = await api.post(
      `/webhook/set/${inst.name}`,
      { webhook: { enabled: true, url: 'https://hooks.example.com/a' } },
      global(),
    );
    expect(noEvents.status).toBe(500);
    const set = await api.post<Json>(
      `/webhook/set/${inst.name}`,
      { webhook: { enabled: true, url: 'not a url', events: [], headers: { 'x-one': '1' }, byEvents: true } },
      global(),
    );
    expect(set.status).toBe(201);
    expect(set.data).toMatchObject({
      url: 'not a url',
      enabled: true,
      webhookByEvents: true,
      headers: { 'x-one': '1' },
    });
    expect((set.data['events'] as string[]).length).toBe(31);
    const partial = await api.post(
      `/webhook/set/${inst.name}`,
      { webhook: { enabled: true, url: 'https://hooks.example.com/b', events: ['SEND_MESSAGE'] } },
      global(),
    );
    expect(partial.status).toBe(201);
    const found = await api.get<Json>(`/webhook/find/${inst.name}`, global());
    expect(found.data).toMatchObject({
      url: 'https://hooks.example.com/b',
      events: ['SEND_MESSAGE'],
      webhookByEvents: true,
      headers: { 'x-one': '1' },
    });
    // Off again, so the server posts nothing to these made-up URLs when the instance is deleted.
    const off = await api.post<Json>(
      `/webhook/set/${inst.name}`,
      { webhook: { enabled: false, url: 'https://hooks.example.com/b' } },
      global(),
    );
    expect(off.data).toMatchObject({ enabled: false, events: [] });
  });

  it('settings: set echoes the body (unknown keys too), find returns what was stored; missing fields are 400', async () => {
    const inst = await instance('settings');
    const body = {
      rejectCall: true,
      msgCall: 'busy',
      groupsIgnore: true,
      alwaysOnline: false,
      readMessages: false,
      readStatus: false,
      syncFullHistory: false,
      extraKey: 'kept in the echo',
    };
    const set = await api.post(`/settings/set/${inst.name}`, body, global());
    expect(set.status).toBe(201);
    expect(set.data).toEqual({ settings: { instanceName: inst.name, settings: body } });
    const found = await api.get(`/settings/find/${inst.name}`, global());
    expect(found.data).toMatchObject({ rejectCall: true, msgCall: 'busy', groupsIgnore: true, alwaysOnline: false });
    const missing = await api.post<Json>(`/settings/set/${inst.name}`, { rejectCall: true }, global());
    expect(missing.status).toBe(400);
    expect(missing.data).toMatchObject({ status: 400, error: 'Bad Request' });
    const messages = (missing.data['response'] as { message: unknown[] }).message;
    expect(Array.isArray(messages[0])).toBe(true);
  });

  it('error shapes: malformed JSON, an unknown route, logout and restart of an instance never connected', async () => {
    const inst = await instance('errors');
    const malformed = await api.post(`/settings/set/${inst.name}`, '{"rejectCall": tru', {
      headers: { ...global().headers, 'content-type': 'application/json' },
    });
    expect(malformed.status).toBe(400);
    expect(malformed.data).toMatchObject({ status: 400, error: 'Internal Server Error' });
    expect(typeof (malformed.data as { response: { message: unknown } }).response.message).toBe('string');
    const unknownRoute = await api.get('/instance/nope', global());
    expect([unknownRoute.status, unknownRoute.data]).toEqual([
      404,
      envelope(404, 'Not Found', ['Cannot GET /instance/nope']),
    ]);
    const logout = await api.delete(`/instance/logout/${inst.name}`, global());
    expect(logout.status).toBe(400);
    expect(logout.data).toEqual(envelope(400, 'Bad Request', [`The "${inst.name}" instance is not connected`]));
    const restart = await api.post(`/instance/restart/${inst.name}`, {}, global());
    expect([restart.status, restart.data]).toEqual([200, { error: true, message: '[object Object]' }]);
  });

  it('calls that need the socket of an instance never connected: TypeErrors, whatsappNumbers {}, fetchAllGroups 500', async () => {
    const inst = await instance('nosocket');
    const text = await api.post<Json>(`/message/sendText/${inst.name}`, { number: PHONE, text: 'hi' }, global());
    expect(text.status).toBe(500);
    expect(text.data).toMatchObject({ status: 500, error: 'Internal Server Error' });
    expect(JSON.stringify(text.data['response'])).toMatch(
      /Cannot read properties of undefined \(reading 'onWhatsApp'\)/,
    );
    const media = await api.post<Json>(
      `/message/sendMedia/${inst.name}`,
      { number: PHONE, mediatype: 'document', media: 'JVBERi0xLjQK', fileName: 'a.pdf' },
      global(),
    );
    expect(media.status).toBe(500);
    expect(JSON.stringify(media.data['response'])).toMatch(/reading 'waUploadToServer'/);
    const numbers = await api.post(`/chat/whatsappNumbers/${inst.name}`, { numbers: [PHONE] }, global());
    expect([numbers.status, numbers.data]).toEqual([400, {}]);
    const groups = await api.get<Json>(`/group/fetchAllGroups/${inst.name}?getParticipants=false`, global());
    expect(groups.status).toBe(500);
    expect(groups.data['error']).toBe('Internal Server Error');
  });

  it('delete: 200 SUCCESS, and the instance is gone within seconds (the real server removes it eventually)', async () => {
    const inst = await instance('delete');
    const res = await api.delete(`/instance/delete/${inst.name}`, key(inst.token));
    expect(res.status).toBe(200);
    expect(res.data).toEqual({ status: 'SUCCESS', error: false, response: { message: 'Instance deleted' } });
    await waitFor(
      async () => (await api.get(`/instance/fetchInstances?instanceName=${inst.name}`, global())).status === 404,
      10_000,
      POLL_MS,
    );
    expect((await api.get(`/instance/connectionState/${inst.name}`, global())).status).toBe(404);
  });
});

if (!mode.real) {
  describe(`needs the simulator's controls, so not run against EVOLUTION_CONTRACT_URL: ${NEEDS_CONTROLS}`, () => {
    const controls = (): EvolutionSimulator => {
      if (!target.sim) throw new Error('the in-process simulator is not running');
      return target.sim;
    };
    afterEach(() => controls().configure({ whatsappReachable: true }));

    it('a retrying instance: sends 500 "Connection Closed", connectionState flips while fetchInstances says close', async () => {
      controls().configure({ whatsappReachable: false, reconnectIntervalMs: 1000 });
      const inst = await instance('retrying');
      expect((await api.get(`/instance/connect/${inst.name}`, global())).data).toEqual({ count: 0 });
      const send = await api.post(`/message/sendText/${inst.name}`, { number: PHONE, text: 'hi' }, global());
      expect([send.status, send.data]).toEqual([500, envelope(500, 'Internal Server Error', 'Connection Closed')]);
      const states = new Set<string>();
      for (let i = 0; i < 4; i++) {
        const res = await api.get<{ instance: { state: string } }>(`/instance/connectionState/${inst.name}`, global());
        states.add(res.data.instance.state);
      }
      expect([...states].sort()).toEqual(['close', 'connecting']);
      const row = await api.get<Json[]>(`/instance/fetchInstances?instanceName=${inst.name}`, global());
      expect(row.data[0]).toMatchObject({ connectionStatus: 'close' });
    });

    it('a logout leaves disconnectionObject as a JSON string of the 401 error', async () => {
      const inst = await instance('logout');
      controls().scan(inst.name);
      expect((await api.delete(`/instance/logout/${inst.name}`, global())).status).toBe(200);
      const row = (await api.get<Json[]>(`/instance/fetchInstances?instanceName=${inst.name}`, global())).data[0];
      expect(row).toMatchObject({ disconnectionReasonCode: 401, disconnectionObject: expect.any(String) });
      expect(JSON.parse(String(row?.['disconnectionObject']))).toMatchObject({
        error: { output: { statusCode: 401 } },
      });
    });
  });
}
