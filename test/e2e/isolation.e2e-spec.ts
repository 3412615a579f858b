import { AxiosInstance, Method } from 'axios';
import { adminToken, createClient, httpClient, TestClient } from '../factories/client.factory';
import { createInstance, resellerToken, TestInstance } from '../factories/instance.factory';
import { queryDb, startTestApp, TestApp } from '../setup/test-app';
import { waitFor } from '../setup/wait-for';

/**
 * The isolation walk: every route that names an instance, message or bulk, called with client B's credentials on
 * client A's resources, must answer 404 without calling the upstream. The last test compares this table with the
 * OpenAPI document, so a new route that names a resource cannot be added without joining the walk.
 */
interface WalkedRoute {
  method: Method;
  /** OpenAPI path template, as the document lists it. */
  template: string;
  /** The path for A's resources. */
  path: (a: Walked) => string;
  body?: Record<string, unknown>;
  /** Credentials B uses: its reseller JWT, its client API key, or the key of one of its own instances. */
  auth: 'jwt' | 'apikey' | 'instance-key';
}

/** A number on A's opt-out list. */
const A_OPTED_OUT = '254712000009';

const ROUTES: WalkedRoute[] = [
  {
    method: 'GET',
    template: '/api/v1/whatsapp/reseller/sub-instances/{id}',
    path: (a) => `/api/v1/whatsapp/reseller/sub-instances/${a.id}`,
    auth: 'jwt',
  },
  {
    method: 'GET',
    template: '/api/v1/whatsapp/reseller/sub-instances/{id}',
    path: (a) => `/api/v1/whatsapp/reseller/sub-instances/${a.name}`,
    auth: 'jwt',
  },
  {
    method: 'DELETE',
    template: '/api/v1/whatsapp/reseller/sub-instances/{id}',
    path: (a) => `/api/v1/whatsapp/reseller/sub-instances/${a.id}`,
    auth: 'jwt',
  },
  {
    method: 'POST',
    template: '/api/v1/whatsapp/reseller/sub-instances/{id}/rotate-key',
    path: (a) => `/api/v1/whatsapp/reseller/sub-instances/${a.id}/rotate-key`,
    auth: 'jwt',
  },
  {
    method: 'POST',
    template: '/api/v1/whatsapp/reseller/sub-instances/{id}/rotate-webhook-secret',
    path: (a) => `/api/v1/whatsapp/reseller/sub-instances/${a.name}/rotate-webhook-secret`,
    auth: 'jwt',
  },
  {
    method: 'GET',
    template: '/api/v1/whatsapp/qrcode/{instanceName}',
    path: (a) => `/api/v1/whatsapp/qrcode/${a.name}`,
    auth: 'apikey',
  },
  {
    method: 'GET',
    template: '/api/v1/whatsapp/qrcode/{instanceName}',
    path: (a) => `/api/v1/whatsapp/qrcode/${a.name}`,
    auth: 'jwt',
  },
  {
    method: 'GET',
    template: '/api/v1/whatsapp/status/{instanceName}',
    path: (a) => `/api/v1/whatsapp/status/${a.name}`,
    auth: 'apikey',
  },
  {
    method: 'GET',
    template: '/api/v1/whatsapp/status/{instanceName}',
    path: (a) => `/api/v1/whatsapp/status/${a.name}`,
    auth: 'jwt',
  },
  {
    method: 'GET',
    template: '/api/v1/whatsapp/status/{instanceName}',
    path: (a) => `/api/v1/whatsapp/status/${a.name}`,
    auth: 'instance-key',
  },
  {
    method: 'GET',
    template: '/api/v1/whatsapp/qrcode/{instanceName}',
    path: (a) => `/api/v1/whatsapp/qrcode/${a.name}`,
    auth: 'instance-key',
  },
  {
    method: 'POST',
    template: '/api/v1/whatsapp/instances/{instanceName}/restart',
    path: (a) => `/api/v1/whatsapp/instances/${a.name}/restart`,
    auth: 'jwt',
  },
  {
    method: 'POST',
    template: '/api/v1/whatsapp/instances/{instanceName}/restart',
    path: (a) => `/api/v1/whatsapp/instances/${a.name}/restart`,
    auth: 'apikey',
  },
  {
    method: 'POST',
    template: '/api/v1/whatsapp/instances/{instanceName}/logout',
    path: (a) => `/api/v1/whatsapp/instances/${a.name}/logout`,
    auth: 'jwt',
  },
  {
    method: 'POST',
    template: '/api/v1/whatsapp/instances/{instanceName}/logout',
    path: (a) => `/api/v1/whatsapp/instances/${a.name}/logout`,
    auth: 'apikey',
  },
  {
    method: 'GET',
    template: '/api/v1/whatsapp/send-bulk/{id}',
    path: (a) => `/api/v1/whatsapp/send-bulk/${a.bulkId}`,
    auth: 'apikey',
  },
  {
    method: 'GET',
    template: '/api/v1/whatsapp/send-bulk/{id}',
    path: (a) => `/api/v1/whatsapp/send-bulk/${a.bulkId}`,
    auth: 'instance-key',
  },
  {
    method: 'POST',
    template: '/api/v1/whatsapp/send-bulk/{id}/pause',
    path: (a) => `/api/v1/whatsapp/send-bulk/${a.bulkId}/pause`,
    auth: 'apikey',
  },
  {
    method: 'POST',
    template: '/api/v1/whatsapp/send-bulk/{id}/resume',
    path: (a) => `/api/v1/whatsapp/send-bulk/${a.bulkId}/resume`,
    auth: 'jwt',
  },
  {
    method: 'POST',
    template: '/api/v1/whatsapp/send-bulk/{id}/cancel',
    path: (a) => `/api/v1/whatsapp/send-bulk/${a.bulkId}/cancel`,
    auth: 'apikey',
  },
  {
    method: 'DELETE',
    template: '/api/v1/whatsapp/messages/{id}',
    path: (a) => `/api/v1/whatsapp/messages/${a.scheduledId}`,
    auth: 'apikey',
  },
  {
    method: 'DELETE',
    template: '/api/v1/whatsapp/messages/{id}',
    path: (a) => `/api/v1/whatsapp/messages/${a.scheduledId}`,
    auth: 'instance-key',
  },
  {
    // A number on A's opt-out list: B's key finds nothing to take off A's list.
    method: 'DELETE',
    template: '/api/v1/whatsapp/opt-outs/{number}',
    path: () => `/api/v1/whatsapp/opt-outs/${A_OPTED_OUT}`,
    auth: 'apikey',
  },
  // Routes that name an instance in their body.
  {
    method: 'POST',
    template: '/api/v1/whatsapp/send',
    path: () => '/api/v1/whatsapp/send',
    body: { text: 'x', number: '254712345678' },
    auth: 'apikey',
  },
  {
    method: 'POST',
    template: '/api/v1/whatsapp/check-numbers',
    path: () => '/api/v1/whatsapp/check-numbers',
    body: { numbers: ['254712345678'] },
    auth: 'apikey',
  },
  {
    method: 'POST',
    template: '/api/v1/whatsapp/send-media',
    path: () => '/api/v1/whatsapp/send-media',
    body: { mediaType: 'image', media: 'https://example.com/a.jpg', number: '254712345678' },
    auth: 'instance-key',
  },
  {
    method: 'POST',
    template: '/api/v1/whatsapp/send-bulk',
    path: () => '/api/v1/whatsapp/send-bulk',
    body: { recipients: ['254712345678'], message: 'x' },
    auth: 'jwt',
  },
  {
    method: 'PUT',
    template: '/api/v1/whatsapp/webhook/{instanceName}',
    path: (a) => `/api/v1/whatsapp/webhook/${a.name}`,
    body: { url: 'https://example.com/stolen' },
    auth: 'apikey',
  },
  {
    method: 'GET',
    template: '/api/v1/whatsapp/webhook/{instanceName}',
    path: (a) => `/api/v1/whatsapp/webhook/${a.name}`,
    auth: 'instance-key',
  },
  {
    method: 'POST',
    template: '/api/v1/whatsapp/webhooks/deliveries/{id}/redeliver',
    path: (a) => `/api/v1/whatsapp/webhooks/deliveries/${a.deliveryId}/redeliver`,
    auth: 'apikey',
  },
  {
    method: 'POST',
    template: '/api/v1/whatsapp/webhooks/deliveries/{id}/redeliver',
    path: (a) => `/api/v1/whatsapp/webhooks/deliveries/${a.deliveryId}/redeliver`,
    auth: 'jwt',
  },
  // The legacy Evolution API routes (pass-through), each with B's client key and with B's instance key.
  ...legacyRoutes(),
];

/** Pass-through routes: `template` is also the path, with A's name for `{instanceName}`. Bodies are valid, so only ownership can refuse them. */
function legacyRoutes(): WalkedRoute[] {
  const to = { number: '254712345678' };
  const routes: [Method, string, Record<string, unknown>?][] = [
    ['GET', '/instance/connect/{instanceName}'],
    ['GET', '/instance/connectionState/{instanceName}'],
    ['PUT', '/instance/restart/{instanceName}'],
    ['POST', '/instance/restart/{instanceName}'],
    ['PUT', '/instance/logout/{instanceName}'],
    ['DELETE', '/instance/logout/{instanceName}'],
    ['DELETE', '/instance/delete/{instanceName}'],
    ['POST', '/message/sendText/{instanceName}', { ...to, text: 'x' }],
    ['POST', '/message/sendMedia/{instanceName}', { ...to, mediatype: 'image', media: 'https://example.com/a.jpg' }],
    ['POST', '/message/sendWhatsAppAudio/{instanceName}', { ...to, audio: 'https://example.com/a.mp3' }],
    ['POST', '/message/sendLocation/{instanceName}', { ...to, name: 'n', address: 'a', latitude: 1, longitude: 2 }],
    [
      'POST',
      '/message/sendContact/{instanceName}',
      { ...to, contact: [{ fullName: 'J', phoneNumber: '+254700000000' }] },
    ],
    ['POST', '/message/sendSticker/{instanceName}', { ...to, sticker: 'https://example.com/s.png' }],
    ['POST', '/message/sendPoll/{instanceName}', { ...to, name: 'q', selectableCount: 1, values: ['a', 'b'] }],
    [
      'POST',
      '/message/sendButtons/{instanceName}',
      { ...to, title: 't', buttons: [{ type: 'reply', displayText: 'Yes', id: 'y' }] },
    ],
    [
      'POST',
      '/message/sendReaction/{instanceName}',
      { key: { remoteJid: '254712345678@s.whatsapp.net', fromMe: false, id: 'X' }, reaction: '👍' },
    ],
    ['POST', '/chat/whatsappNumbers/{instanceName}', { numbers: ['254712345678'] }],
    ['POST', '/chat/findMessages/{instanceName}', { where: {} }],
    [
      'POST',
      '/chat/markMessageAsRead/{instanceName}',
      { readMessages: [{ remoteJid: '254712345678@s.whatsapp.net', fromMe: false, id: 'X' }] },
    ],
    ['GET', '/chat/fetchProfilePictureUrl/{instanceName}?number=254712345678'],
    ['POST', '/chat/fetchProfilePictureUrl/{instanceName}', to],
    [
      'DELETE',
      '/chat/deleteMessage/{instanceName}',
      { remoteJid: '254712345678@s.whatsapp.net', messageId: 'X', fromMe: true },
    ],
    [
      'DELETE',
      '/chat/deleteMessageForEveryone/{instanceName}',
      { remoteJid: '254712345678@s.whatsapp.net', id: 'X', fromMe: true },
    ],
    ['POST', '/group/create/{instanceName}', { subject: 's', participants: ['254712345678'] }],
    ['GET', '/group/fetchAllGroups/{instanceName}?getParticipants=false'],
    [
      'PUT',
      '/group/updateParticipant/{instanceName}?groupJid=120363025246125486@g.us',
      { action: 'add', participants: ['254712345678'] },
    ],
    [
      'POST',
      '/group/updateParticipant/{instanceName}?groupJid=120363025246125486@g.us',
      { action: 'add', participants: ['254712345678'] },
    ],
    [
      'POST',
      '/webhook/set/{instanceName}',
      { webhook: { enabled: true, url: 'https://example.com/hook', events: [] } },
    ],
    ['GET', '/webhook/find/{instanceName}'],
    [
      'POST',
      '/settings/set/{instanceName}',
      {
        rejectCall: false,
        groupsIgnore: false,
        alwaysOnline: false,
        readMessages: false,
        readStatus: false,
        syncFullHistory: false,
      },
    ],
    ['GET', '/settings/find/{instanceName}'],
    // Names an instance in its query: another client's name is a 404 too.
    ['GET', '/instance/fetchInstances?instanceName={instanceName}'],
  ];
  return routes.flatMap(([method, url, body]) =>
    (['apikey', 'instance-key'] as const).map((auth) => ({
      method,
      template: url.split('?')[0]!,
      path: (a: TestInstance) => url.replace('{instanceName}', a.name),
      body,
      auth,
    })),
  );
}

/** What the walk knows of A: its instance, a running bulk, a webhook delivery and a scheduled message. */
type Walked = TestInstance & { bulkId: string; deliveryId: string; scheduledId: string };

/** Admin routes are operator-wide by design and stay out of the walk. */
const OPERATOR_PREFIX = '/api/admin/';
/**
 * Routes whose body names the instance they create, not one that exists: a taken name is refused whoever holds it
 * (names are unique across tenants, 409), which the pass-through tests cover.
 */
const CREATES_INSTANCE = new Set(['POST /instance/create']);

describe('tenant isolation walk', () => {
  let t: TestApp;
  let http: AxiosInstance;
  let a: Walked;
  let clientA: TestClient;
  let b: TestClient;
  let bJwt: string;
  let bInstance: TestInstance;

  beforeAll(async () => {
    t = await startTestApp();
    http = httpClient(t.url);
    const admin = await adminToken(http);
    clientA = await createClient(http, admin, { send_interval_ms: 60000, jitter_min_ms: 0, jitter_max_ms: 0 });
    const instanceA = await createInstance(http, await resellerToken(http, clientA));
    const keyA = { headers: { apikey: clientA.apiKey } };
    // A webhook target, so the scan's state changes become deliveries of A's (never delivered: no network here).
    await http.put(`/api/v1/whatsapp/webhook/${instanceA.name}`, { url: 'https://example.com/hook' }, keyA);
    t.sim.scan(instanceA.name);
    const delivery = await waitFor(
      async () => (await http.get('/api/v1/whatsapp/webhooks/deliveries', keyA)).data.deliveries[0],
      5000,
      'a delivery of A',
    );
    await http.post('/api/v1/whatsapp/opt-outs', { numbers: [A_OPTED_OUT] }, keyA);
    // Two recipients an hour apart: the bulk stays running for the whole walk.
    const bulk = await http.post(
      '/api/v1/whatsapp/send-bulk',
      { instanceName: instanceA.name, recipients: ['254712000001', '254712000002'], message: 'x' },
      { headers: { apikey: clientA.apiKey } },
    );
    const scheduled = await http.post(
      '/api/v1/whatsapp/send',
      {
        instanceName: instanceA.name,
        number: '254712000003',
        text: 'later',
        send_at: new Date(Date.now() + 3600000).toISOString(),
      },
      keyA,
    );
    a = { ...instanceA, bulkId: bulk.data.bulk_id, deliveryId: delivery.id, scheduledId: scheduled.data.id };
    // The first recipient leaves at once; the walk starts after it, so its send is not taken for one B caused.
    await waitFor(
      () => t.sim.requests().some((r) => r.path === `/message/sendText/${instanceA.name}`),
      10000,
      'the bulk’s first send',
    );
    // B makes a hundred requests in the walk, beyond the default 60 per minute.
    b = await createClient(http, admin, { rate_limit: 10000 });
    bJwt = await resellerToken(http, b);
    bInstance = await createInstance(http, bJwt);
  });
  afterAll(() => t.close());

  it.each(
    ROUTES.map(
      (r) =>
        [
          `${r.method} ${r.path({
            id: '<A id>',
            name: '<A name>',
            bulkId: '<A bulk>',
            deliveryId: '<A delivery>',
            scheduledId: '<A message>',
          } as Walked)} with B's ${r.auth}`,
          r,
        ] as const,
    ),
  )('%s → 404, no upstream call', async (_, route) => {
    t.sim.requests().clear();
    const headers = {
      jwt: { authorization: `Bearer ${bJwt}` },
      apikey: { apikey: b.apiKey },
      'instance-key': { apikey: bInstance.apiKey },
    }[route.auth];
    // Routes without a path parameter name the instance in their body.
    const data = route.body && !route.template.includes('{') ? { ...route.body, instanceName: a.name } : route.body;
    const res = await http.request({ method: route.method, url: route.path(a), data, headers });
    expect(res.status).toBe(404);
    expect(res.data).toMatchObject({ statusCode: 404, error: 'Not Found' });
    expect(t.sim.requests().filter((r) => r.path.includes(a.name) || r.query.instanceName === a.name)).toHaveLength(0);
  });

  it("leaves A's instance, bulk, opt-out list and scheduled message untouched", async () => {
    expect(t.sim.instance(a.name)?.state).toBe('open');
    const scheduled = await queryDb(t, 'SELECT status FROM messages WHERE id = $1', [a.scheduledId]);
    expect(scheduled).toEqual([{ status: 'scheduled' }]);
    expect((await http.get('/api/v1/whatsapp/opt-outs', { headers: { apikey: clientA.apiKey } })).data.total).toBe(1);
    expect(t.sim.requests().filter((r) => r.path.startsWith('/message/'))).toHaveLength(0);
  });

  it('walks every documented route that names an instance, message or bulk', async () => {
    const docs = (await http.get('/docs-json')).data as { paths: Record<string, Record<string, unknown>> };
    const walked = new Set(ROUTES.map((r) => `${r.method} ${r.template}`));
    const named = Object.entries(docs.paths)
      .filter(
        ([path, operations]) =>
          (path.includes('{') || JSON.stringify(operations).includes('instanceName')) &&
          !path.startsWith(OPERATOR_PREFIX),
      )
      .flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`))
      .filter((route) => !CREATES_INSTANCE.has(route));
    expect(named.filter((route) => !walked.has(route))).toEqual([]);
    // And the other way round, so a walked route (the legacy ones included) cannot drift away from the document.
    const documented = new Set(
      Object.entries(docs.paths).flatMap(([path, operations]) =>
        Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
      ),
    );
    expect([...walked].filter((route) => !documented.has(route))).toEqual([]);
  });
});
