import { AxiosInstance, AxiosResponse } from 'axios';
import { adminToken, createClient, httpClient, TestClient } from '../factories/client.factory';
import { createInstance, resellerToken, TestInstance, uniqueInstanceName } from '../factories/instance.factory';
import { MediaServer, startMediaServer } from '../setup/media-server';
import { startTestApp, TestApp } from '../setup/test-app';
import { TEST_GLOBAL_KEY, TEST_MASTER_KEY } from '../setup/test-env';
import { waitFor } from '../setup/wait-for';

/** Pacing off, so tests that are not about pacing run at full speed. */
const UNPACED = { send_interval_ms: 0, jitter_min_ms: 0, jitter_max_ms: 0, max_instances: 50, rate_limit: 10000 };

type Flavor = 'client key' | 'instance key' | 'master key';

describe('Evolution API pass-through', () => {
  let t: TestApp;
  /** The tenants' media host on loopback: the gateway fetches media URLs itself (see media-fetch.e2e-spec.ts). */
  let media: MediaServer;
  let http: AxiosInstance;
  let admin: string;
  /** Every upstream token the simulator ever held, and every response the gateway gave. */
  const tokens = new Set<string>();
  const leaks: string[] = [];

  beforeAll(async () => {
    media = await startMediaServer();
    t = await startTestApp({ WEBHOOK_ALLOWED_HOSTS: '127.0.0.1', SEND_MAX_WAIT_MS: '1000' });
    http = httpClient(t.url);
    // Each answer is checked for the upstream's global key and every instance token the simulator knows.
    http.interceptors.response.use((res) => {
      for (const inst of t.sim.instances()) tokens.add(inst.token);
      const text = `${JSON.stringify(res.data)} ${JSON.stringify(res.headers)}`;
      for (const secret of [TEST_GLOBAL_KEY, ...tokens]) {
        if (text.includes(secret))
          leaks.push(
            `${res.config.method?.toUpperCase()} ${res.config.url} leaked ${secret === TEST_GLOBAL_KEY ? 'the global key' : 'an instance token'}`,
          );
      }
      return res;
    });
    admin = await adminToken(http);
  });
  afterAll(async () => {
    await t.close();
    await media.close();
  });

  const key = (apikey: string) => ({ headers: { apikey } });
  const master = key(TEST_MASTER_KEY);
  const upstreamCalls = (name: string) =>
    t.sim.requests().filter((r) => r.path.includes(name) || r.query.instanceName === name);

  async function tenant(
    settings: Record<string, unknown> = UNPACED,
  ): Promise<{ client: TestClient; instance: TestInstance }> {
    const client = await createClient(http, admin, settings);
    const instance = await createInstance(http, await resellerToken(http, client));
    t.sim.scan(instance.name);
    return { client, instance };
  }

  function expectNoSecrets(res: AxiosResponse, name?: string): void {
    const text = JSON.stringify(res.data);
    expect(text).not.toContain(TEST_GLOBAL_KEY);
    const token = name ? t.sim.instance(name)?.token : undefined;
    if (token) expect(text).not.toContain(token);
  }

  describe('Quick Example: First Message', () => {
    it.each(['client key', 'master key'] as const)(
      'creates, checks the state and sends with the instance key (create with the %s)',
      async (flavor) => {
        const client = await createClient(http, admin, UNPACED);
        const creator = flavor === 'master key' ? master : key(client.apiKey);
        const name = uniqueInstanceName('quick');

        // 1. Create instance
        const body = {
          instanceName: name,
          integration: 'WHATSAPP-BAILEYS',
          qrcode: true,
          ...(flavor === 'master key' ? { client_id: client.id } : {}),
        };
        const created = await http.post('/instance/create', body, creator);
        expect(created.status).toBe(201);
        expect(created.data).toMatchObject({
          instance: {
            instanceName: name,
            integration: 'WHATSAPP-BAILEYS',
            instanceId: expect.stringMatching(/^[0-9a-f-]{36}$/),
          },
          hash: { apikey: expect.stringMatching(/^[0-9a-f]{64}$/) },
          qrcode: { base64: expect.stringMatching(/^data:image\/png;base64,/), code: expect.any(String) },
          settings: expect.objectContaining({ rejectCall: false }),
        });
        expectNoSecrets(created, name);
        const create = t.sim
          .requests()
          .find((r) => r.path === '/instance/create' && (r.body as { instanceName: string }).instanceName === name)!;
        expect(create.headers.apikey).toBe(TEST_GLOBAL_KEY);

        // 2. Save the returned hash.apikey
        const instanceKey = key(created.data.hash.apikey as string);

        // 3. Wait for the user to scan the QR, then check the status
        t.sim.scan(name);
        const state = await http.get(`/instance/connectionState/${name}`, creator);
        expect(state.status).toBe(200);
        expect(state.data).toEqual({ instance: { instanceName: name, state: 'open' } });

        // 4. Send a message with the instance key
        t.sim.requests().clear();
        const sent = await http.post(
          `/message/sendText/${name}`,
          { number: '254712345678', text: 'Hello!', delay: 1500 },
          instanceKey,
        );
        expect(sent.status).toBe(201);
        expect(sent.data).toMatchObject({
          key: { remoteJid: '254712345678@s.whatsapp.net', fromMe: true, id: expect.stringMatching(/^3EB0/) },
          status: 'PENDING',
        });
        const [upstream] = upstreamCalls(name).filter((r) => r.path.startsWith('/message/'));
        expect(upstream!.body).toEqual({ number: '254712345678', text: 'Hello!', delay: 1500 });
        expect(upstream!.headers.apikey).toBe(t.sim.instance(name)!.token);
        expectNoSecrets(sent, name);

        // The send is in the owning client's message log, as a pass-through send.
        const log = await http.get(`/api/v1/whatsapp/messages?instance=${name}`, key(client.apiKey));
        expect(log.data.messages).toEqual([
          expect.objectContaining({
            source: 'passthrough',
            message_type: 'text',
            number: '254712345678',
            message_id: sent.data.key.id,
            id: sent.headers['x-message-log-id'],
          }),
        ]);
      },
    );
  });

  describe('Complete Integration Flow', () => {
    it.each(['client key', 'instance key', 'master key'] as Flavor[])(
      'runs from create to delete with the %s',
      async (flavor) => {
        const client = await createClient(http, admin, UNPACED);
        const other = await tenant();
        const name = uniqueInstanceName('flow');

        // Create an instance, with the QR code to display.
        const created = await http.post(
          '/instance/create',
          {
            instanceName: name,
            integration: 'WHATSAPP-BAILEYS',
            qrcode: true,
            ...(flavor === 'master key' ? { client_id: client.id } : {}),
          },
          flavor === 'master key' ? master : key(client.apiKey),
        );
        expect(created.status).toBe(201);
        expect(created.data.qrcode.base64).toMatch(/^data:image\/png;base64,/);
        const auth = {
          'client key': key(client.apiKey),
          'instance key': key(created.data.hash.apikey),
          'master key': master,
        }[flavor];

        // Reconnect QR through /instance/connect.
        const qr = await http.get(`/instance/connect/${name}`, auth);
        expect(qr.status).toBe(200);
        expect(qr.data.base64).toMatch(/^data:image\/png;base64,/);

        // The user scans; poll the state until open.
        t.sim.scan(name);
        const open = await waitFor(
          async () => {
            const res = await http.get(`/instance/connectionState/${name}`, auth);
            return res.data.instance?.state === 'open' ? res : undefined;
          },
          5000,
          'state open',
        );
        expect(open.status).toBe(200);

        // Configure the webhook: stored by the gateway, the upstream keeps pointing at the gateway.
        const events = ['MESSAGES_UPSERT', 'MESSAGES_UPDATE', 'CONNECTION_UPDATE'];
        const hook = await http.post(
          `/webhook/set/${name}`,
          {
            webhook: {
              enabled: true,
              url: 'https://yourapp.example.com/webhook/whatsapp',
              byEvents: false,
              base64: false,
              events,
            },
          },
          auth,
        );
        expect(hook.status).toBe(201);
        expect(hook.data).toMatchObject({
          url: 'https://yourapp.example.com/webhook/whatsapp',
          enabled: true,
          events,
          webhookByEvents: false,
          webhookBase64: false,
        });
        const found = await http.get(`/webhook/find/${name}`, auth);
        expect(found.status).toBe(200);
        // updatedAt is the instance row's, which connection updates also touch.
        expect({ ...found.data, updatedAt: undefined }).toEqual({ ...hook.data, updatedAt: undefined });
        expect(t.sim.instance(name)!.webhook!.url).toBe(`${t.url}/webhooks/evolution/${name}`);
        expect(t.sim.requests().filter((r) => r.path === `/webhook/set/${name}`)).toHaveLength(1);

        // Send a message.
        const sent = await http.post(`/message/sendText/${name}`, { number: '0712345678', text: 'Hello!' }, auth);
        expect(sent.status).toBe(201);
        expect(sent.data.key.remoteJid).toBe('254712345678@s.whatsapp.net');

        // fetchInstances: the caller's instances only, never a token.
        const listed = await http.get('/instance/fetchInstances', auth);
        expect(listed.status).toBe(200);
        const names = (listed.data as { name: string }[]).map((r) => r.name);
        expect(names).toContain(name);
        if (flavor === 'master key') expect(names).toContain(other.instance.name);
        else expect(names).not.toContain(other.instance.name);
        if (flavor === 'instance key') expect(names).toEqual([name]);
        const row = (listed.data as Record<string, unknown>[]).find((r) => r.name === name)!;
        expect(row).toMatchObject({
          id: created.data.instance.instanceId,
          connectionStatus: 'open',
          integration: 'WHATSAPP-BAILEYS',
          ownerJid: expect.stringMatching(/@s\.whatsapp\.net$/),
        });
        expect(row).not.toHaveProperty('token');
        expectNoSecrets(listed, name);

        // Restart (PUT as in the reference), log out (PUT as in the reference), delete.
        const restarted = await http.put(`/instance/restart/${name}`, undefined, auth);
        expect(restarted.status).toBe(200);
        expect(
          t.sim.requests().filter((r) => r.method === 'POST' && r.path === `/instance/restart/${name}`),
        ).toHaveLength(1);
        const loggedOut = await http.put(`/instance/logout/${name}`, undefined, auth);
        expect(loggedOut.status).toBe(200);
        expect(loggedOut.data).toEqual({
          status: 'SUCCESS',
          error: false,
          response: { message: 'Instance logged out' },
        });
        expect(t.sim.instance(name)!.state).toBe('close');
        const deleted = await http.delete(`/instance/delete/${name}`, auth);
        expect(deleted.status).toBe(200);
        expect(deleted.data).toEqual({ status: 'SUCCESS', error: false, response: { message: 'Instance deleted' } });
        expect(t.sim.instance(name)).toBeUndefined();

        // Gone: the client key and the master key get 404, the instance key was revoked with its instance.
        const after = await http.get(`/instance/connectionState/${name}`, auth);
        expect(after.status).toBe(flavor === 'instance key' ? 403 : 404);
      },
    );
  });

  describe('auth', () => {
    it('answers 401 without an apikey header (a Bearer token is not enough) and 403 for an unknown key', async () => {
      const { client, instance } = await tenant();
      const jwt = await resellerToken(http, client);
      t.sim.requests().clear();
      const missing = await http.get(`/instance/connectionState/${instance.name}`);
      expect(missing.status).toBe(401);
      expect(missing.data).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
      expect(
        (await http.get(`/instance/connectionState/${instance.name}`, { headers: { authorization: `Bearer ${jwt}` } }))
          .status,
      ).toBe(401);
      const unknown = await http.get(`/instance/connectionState/${instance.name}`, key('nmk_live_not-a-real-key'));
      expect(unknown.status).toBe(403);
      expect(unknown.data.message).toBe('API key is not valid');
      // The upstream's own global key is not a gateway credential.
      expect((await http.get(`/instance/connectionState/${instance.name}`, key(TEST_GLOBAL_KEY))).status).toBe(403);
      expect(upstreamCalls(instance.name)).toHaveLength(0);
    });

    it('answers 404 without an upstream call for an unknown instance or another client’s, and an instance key reaches its own instance only', async () => {
      const a = await tenant();
      const b = await tenant();
      const sibling = await createInstance(http, await resellerToken(http, b.client));
      t.sim.requests().clear();
      for (const auth of [key(b.client.apiKey), key(b.instance.apiKey), key(sibling.apiKey)]) {
        const res = await http.post(
          `/message/sendText/${a.instance.name}`,
          { number: '254712345678', text: 'x' },
          auth,
        );
        expect(res.status).toBe(404);
        expect(res.data).toEqual({
          statusCode: 404,
          error: 'Not Found',
          code: 'INSTANCE_NOT_FOUND',
          message: `Instance "${a.instance.name}" does not exist`,
        });
      }
      expect((await http.get(`/instance/connectionState/${b.instance.name}`, key(sibling.apiKey))).status).toBe(404);
      expect((await http.get('/instance/connectionState/no-such-instance', master)).status).toBe(404);
      expect(upstreamCalls(a.instance.name)).toHaveLength(0);
      expect(upstreamCalls(b.instance.name)).toHaveLength(0);
    });

    it('counts pass-through requests against the client’s rate limit', async () => {
      const { client, instance } = await tenant({ ...UNPACED, rate_limit: 5 });
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++)
        statuses.push((await http.get(`/instance/connectionState/${instance.name}`, key(client.apiKey))).status);
      // Setting the tenant up spent two requests: the token exchange and the create.
      expect(statuses).toEqual([200, 200, 200, 429]);
    });
  });

  describe('POST /instance/create', () => {
    it('applies the reseller rules and says who may name a client', async () => {
      const { client, instance } = await tenant();
      const taken = await http.post('/instance/create', { instanceName: instance.name }, key(client.apiKey));
      expect(taken.status).toBe(409);
      expect(taken.data.message).toBe(`Instance name "${instance.name}" is already in use`);
      const invalid = await http.post(
        '/instance/create',
        { instanceName: 'has spaces', integration: 'FAX' },
        key(client.apiKey),
      );
      expect(invalid.status).toBe(400);
      expect(invalid.data.message).toContain('instanceName: must be 2-64 letters');
      expect(invalid.data.message).toContain('integration: must be one of');
      const named = await http.post(
        '/instance/create',
        { instanceName: uniqueInstanceName(), client_id: client.id },
        key(client.apiKey),
      );
      expect(named.status).toBe(400);
      expect(named.data.message).toMatch(/^client_id: only the master key/);
      const unnamed = await http.post('/instance/create', { instanceName: uniqueInstanceName() }, master);
      expect(unnamed.status).toBe(400);
      expect(unnamed.data.message).toMatch(/^client_id: the master key must name the client/);
      const byInstanceKey = await http.post(
        '/instance/create',
        { instanceName: uniqueInstanceName() },
        key(instance.apiKey),
      );
      expect(byInstanceKey.status).toBe(403);
      const small = await createClient(http, admin, { max_instances: 0 });
      const limited = await http.post('/instance/create', { instanceName: uniqueInstanceName() }, key(small.apiKey));
      expect(limited.status).toBe(409);
      expect(limited.data.message).toMatch(/^Instance limit reached/);
    });

    it('stores an inline webhook as the tenant’s and passes settings to the upstream', async () => {
      const client = await createClient(http, admin, UNPACED);
      const name = uniqueInstanceName();
      const res = await http.post(
        '/instance/create',
        {
          instanceName: name,
          integration: 'WHATSAPP-BAILEYS',
          token: 'ignored-custom-token-123',
          rejectCall: true,
          msgCall: 'No calls',
          webhook: { url: 'https://hooks.example.com/wa', events: ['MESSAGES_UPSERT'] },
        },
        key(client.apiKey),
      );
      expect(res.status).toBe(201);
      expect(res.data).not.toHaveProperty('qrcode');
      expect(res.data.settings).toMatchObject({ rejectCall: true, msgCall: 'No calls' });
      expect(res.data.webhook).toMatchObject({ webhookUrl: 'https://hooks.example.com/wa' });
      expect(t.sim.instance(name)!.settings).toMatchObject({ rejectCall: true, msgCall: 'No calls' });
      expect(t.sim.instance(name)!.token).not.toBe('ignored-custom-token-123');
      expect(t.sim.instance(name)!.webhook!.url).toBe(`${t.url}/webhooks/evolution/${name}`);
      const found = await http.get(`/webhook/find/${name}`, key(client.apiKey));
      expect(found.data).toMatchObject({
        url: 'https://hooks.example.com/wa',
        events: ['MESSAGES_UPSERT'],
        enabled: true,
      });
    });

    it('refuses an inline webhook the gateway may not call before anything is created', async () => {
      const client = await createClient(http, admin, UNPACED);
      const name = uniqueInstanceName();
      const res = await http.post(
        '/instance/create',
        { instanceName: name, webhook: { url: 'http://10.0.0.5:9/hook', events: [] } },
        key(client.apiKey),
      );
      expect(res.status).toBe(400);
      expect(t.sim.instance(name)).toBeUndefined();
      expect((await http.get('/instance/fetchInstances', key(client.apiKey))).data).toEqual([]);
    });
  });

  describe('GET /instance/fetchInstances', () => {
    it('filters by instanceName, with 404 for a name that is not the caller’s', async () => {
      const a = await tenant();
      const b = await tenant();
      const mine = await http.get(`/instance/fetchInstances?instanceName=${a.instance.name}`, key(a.client.apiKey));
      expect(mine.status).toBe(200);
      expect(mine.data).toHaveLength(1);
      expect(mine.data[0]).toMatchObject({ name: a.instance.name, id: a.instance.id, connectionStatus: 'open' });
      t.sim.requests().clear();
      const theirs = await http.get(`/instance/fetchInstances?instanceName=${b.instance.name}`, key(a.client.apiKey));
      expect(theirs.status).toBe(404);
      expect(upstreamCalls(b.instance.name)).toHaveLength(0);
      const all = await http.get('/instance/fetchInstances', master);
      expect(
        (all.data as { name: string; client_id: number }[])
          .filter((r) => [a.instance.name, b.instance.name].includes(r.name))
          .map((r) => r.client_id)
          .sort(),
      ).toEqual([a.client.id, b.client.id].sort());
    });
  });

  describe('/message/*', () => {
    it('paces the moment a message reaches WhatsApp: after a send the upstream holds 3 s, the next slot is a gap after that', async () => {
      const { client, instance } = await tenant({ send_interval_ms: 1000, jitter_min_ms: 0, jitter_max_ms: 0 });
      const path = `/message/sendText/${instance.name}`;
      // The upstream holds the first one 3 s before sending it to WhatsApp.
      const delayed = http.post(path, { number: '254712345678', text: 'later', delay: 3000 }, key(client.apiKey));
      await waitFor(
        () => t.sim.requests().some((r) => r.path === path),
        5000,
        'the delayed send to reach the upstream',
      );
      // Sent right after, this one would reach WhatsApp first if pacing counted departures: its slot is >4 s away,
      // past this app's SEND_MAX_WAIT_MS of 1 s, so it is refused with when to come back.
      const next = await http.post(path, { number: '254712345679', text: 'next' }, key(client.apiKey));
      expect(next.status).toBe(429);
      expect(next.data.message).toMatch(/next free slot is [45] seconds away/);
      expect(Number(next.headers['retry-after'])).toBeGreaterThanOrEqual(4);
      expect((await delayed).status).toBe(201);
      expect(t.sim.requests().filter((r) => r.path === path)).toHaveLength(1);
    });

    it('logs every send route with its message type and source passthrough, and answers the upstream’s send body', async () => {
      const { client, instance } = await tenant();
      const to = '254712345678';
      const sends: [string, Record<string, unknown>, string][] = [
        ['sendText', { number: to, text: 'hi' }, 'text'],
        ['sendMedia', { number: to, mediatype: 'image', media: `${media.url}/p.jpg`, caption: 'c' }, 'image'],
        ['sendMedia', { number: to, mediatype: 'video', media: `${media.url}/v.mp4` }, 'video'],
        [
          'sendMedia',
          { number: to, mediatype: 'document', media: `${media.url}/i.pdf`, fileName: 'i.pdf' },
          'document',
        ],
        ['sendMedia', { number: to, mediatype: 'audio', media: `${media.url}/a.mp3` }, 'audio'],
        ['sendWhatsAppAudio', { number: to, audio: `${media.url}/a.mp3`, encoding: true }, 'audio'],
        [
          'sendLocation',
          { number: to, name: 'Nairobi CBD', address: 'Kenyatta Avenue', latitude: -1.2921, longitude: 36.8219 },
          'location',
        ],
        [
          'sendContact',
          { number: to, contact: [{ fullName: 'John Smith', wuid: '254700000000', phoneNumber: '+254 700 000 000' }] },
          'contact',
        ],
        ['sendSticker', { number: to, sticker: `${media.url}/s.png` }, 'sticker'],
        ['sendPoll', { number: to, name: 'Preferred?', selectableCount: 1, values: ['Email', 'Phone'] }, 'poll'],
        [
          'sendButtons',
          {
            number: to,
            title: 'Choose',
            description: 'Below',
            footer: 'NM',
            buttons: [{ type: 'reply', displayText: 'Yes', id: 'y' }],
          },
          'buttons',
        ],
        [
          'sendReaction',
          { key: { remoteJid: `${to}@s.whatsapp.net`, fromMe: false, id: 'BAE5F2A1B2C3D4E5' }, reaction: '👍' },
          'reaction',
        ],
      ];
      for (const [action, body, type] of sends) {
        const res = await http.post(`/message/${action}/${instance.name}`, body, key(client.apiKey));
        expect([action, res.status]).toEqual([action, 201]);
        expect(res.data.key.id).toEqual(expect.any(String));
        expect(res.headers['x-message-log-id']).toMatch(/^\d+$/);
        const log = await http.get(`/api/v1/whatsapp/messages?instance=${instance.name}&limit=1`, key(client.apiKey));
        expect(log.data.messages[0]).toMatchObject({
          id: res.headers['x-message-log-id'],
          message_type: type,
          source: 'passthrough',
          message_id: res.data.key.id,
        });
      }
      const stats = await http.get('/api/v1/whatsapp/stats', key(client.apiKey));
      expect(stats.data.total_attempts).toBe(sends.length);
    });

    it('passes the upstream’s refusal through with its body, and logs the send as failed', async () => {
      const { client, instance } = await tenant();
      const res = await http.post(
        `/message/sendText/${instance.name}`,
        { number: '254712340000', text: 'hi' },
        key(client.apiKey),
      );
      expect(res.status).toBe(400);
      expect(res.data).toEqual({
        status: 400,
        error: 'Bad Request',
        response: { message: [{ jid: '254712340000@s.whatsapp.net', exists: false, number: '254712340000' }] },
      });
      const log = await http.get(`/api/v1/whatsapp/messages?instance=${instance.name}`, key(client.apiKey));
      expect(log.data.messages[0]).toMatchObject({
        status: 'failed',
        source: 'passthrough',
        error: 'number: 254712340000 is not on WhatsApp',
      });
    });

    it('validates the number and the media type before anything is logged or sent', async () => {
      const { client, instance } = await tenant();
      t.sim.requests().clear();
      const bad = await http.post(
        `/message/sendText/${instance.name}`,
        { number: '0712', text: 'hi' },
        key(client.apiKey),
      );
      expect(bad.status).toBe(400);
      expect(bad.data.message).toBe('number: "0712" is too short to be a phone number');
      const media = await http.post(
        `/message/sendMedia/${instance.name}`,
        { number: '254712345678', mediatype: 'gif', media: 'https://example.com/x' },
        key(client.apiKey),
      );
      expect(media.status).toBe(400);
      expect(media.data.message).toBe('mediatype: must be one of image, video, document, audio');
      expect(upstreamCalls(instance.name)).toHaveLength(0);
      expect(
        (await http.get(`/api/v1/whatsapp/messages?instance=${instance.name}`, key(client.apiKey))).data.total,
      ).toBe(0);
    });

    it('respects the daily cap and the pacing of v1 sends', async () => {
      const capped = await tenant({ ...UNPACED, daily_cap: 2 });
      const body = { number: '254712345678', text: 'hi' };
      expect(
        (
          await http.post(
            '/api/v1/whatsapp/send',
            { ...body, instanceName: capped.instance.name },
            key(capped.client.apiKey),
          )
        ).status,
      ).toBe(201);
      expect(
        (await http.post(`/message/sendText/${capped.instance.name}`, body, key(capped.instance.apiKey))).status,
      ).toBe(201);
      const refused = await http.post(`/message/sendText/${capped.instance.name}`, body, master);
      expect(refused.status).toBe(429);
      expect(refused.data.message).toMatch(/^Daily cap of 2 messages reached for this instance/);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);

      const paced = await tenant({ send_interval_ms: 400, jitter_min_ms: 0, jitter_max_ms: 0 });
      t.sim.requests().clear();
      const results = await Promise.all(
        [0, 1, 2].map(() => http.post(`/message/sendText/${paced.instance.name}`, body, key(paced.client.apiKey))),
      );
      expect(results.map((r) => r.status)).toEqual([201, 201, 201]);
      const times = upstreamCalls(paced.instance.name)
        .map((r) => r.at.getTime())
        .sort((x, y) => x - y);
      // Slots are 400 ms apart in the gateway; arrival times at the simulator carry some scheduling noise.
      for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(350);
    });
  });

  describe('body validation', () => {
    const to = '254712345678';
    /** A valid body per send route, a wrong field in it, and the field the 400 must name. */
    const sends = (): [string, Record<string, unknown>, Record<string, unknown>, string][] => [
      ['sendText', { number: to, text: 'hi' }, { text: 42 }, 'text'],
      ['sendMedia', { number: to, mediatype: 'image', media: `${media.url}/p.jpg` }, { caption: 7 }, 'caption'],
      ['sendWhatsAppAudio', { number: to, audio: `${media.url}/a.mp3` }, { audio: '' }, 'audio'],
      [
        'sendLocation',
        { number: to, name: 'CBD', address: 'Kenyatta Avenue', latitude: -1.29, longitude: 36.82 },
        { delay: -1 },
        'delay',
      ],
      [
        'sendContact',
        { number: to, contact: [{ fullName: 'John Smith', phoneNumber: '+254 700 000 000' }] },
        { number: 254712345678 },
        'number',
      ],
      ['sendSticker', { number: to, sticker: `${media.url}/s.png` }, { sticker: 5 }, 'sticker'],
      ['sendPoll', { number: to, name: 'Q?', selectableCount: 1, values: ['a', 'b'] }, { delay: 'soon' }, 'delay'],
      [
        'sendButtons',
        { number: to, title: 'Choose', buttons: [{ type: 'reply', displayText: 'Yes', id: 'y' }] },
        { delay: 120001 },
        'delay',
      ],
      [
        'sendReaction',
        { key: { remoteJid: `${to}@s.whatsapp.net`, fromMe: false, id: 'BAE5F2A1B2C3D4E5' }, reaction: '👍' },
        { key: { fromMe: false, id: 'BAE5F2A1B2C3D4E5' } },
        'key.remoteJid',
      ],
    ];

    it('answers 400 naming the wrong field of each send route, before anything is logged or sent', async () => {
      const { client, instance } = await tenant();
      t.sim.requests().clear();
      for (const [action, body, wrong, field] of sends()) {
        const res = await http.post(`/message/${action}/${instance.name}`, { ...body, ...wrong }, key(client.apiKey));
        expect([action, res.status, res.data.error]).toEqual([action, 400, 'Bad Request']);
        expect(res.data.message).toMatch(new RegExp(`^${field.replace('.', '\\.')}: `));
      }
      expect(upstreamCalls(instance.name)).toHaveLength(0);
      const log = await http.get(`/api/v1/whatsapp/messages?instance=${instance.name}`, key(client.apiKey));
      expect(log.data.total).toBe(0);
    });

    it('refuses send_at, expires_at and ttl_seconds on every send route with a 400 naming them, before anything is logged or sent', async () => {
      const { client, instance } = await tenant();
      t.sim.requests().clear();
      const timing: [Record<string, unknown>, string][] = [
        [{ send_at: new Date(Date.now() + 3600000).toISOString() }, 'send_at'],
        [{ expires_at: new Date(Date.now() + 3600000).toISOString() }, 'expires_at'],
        [{ ttl_seconds: 60 }, 'ttl_seconds'],
        [{ ttl_seconds: 60, send_at: new Date(Date.now() + 3600000).toISOString() }, 'send_at, ttl_seconds'],
      ];
      for (const [action, body] of sends()) {
        for (const [fields, named] of timing) {
          const res = await http.post(
            `/message/${action}/${instance.name}`,
            { ...body, ...fields },
            key(client.apiKey),
          );
          expect([action, named, res.status, res.data.code]).toEqual([
            action,
            named,
            400,
            'PASSTHROUGH_SCHEDULING_UNSUPPORTED',
          ]);
          expect(res.data).toMatchObject({ statusCode: 400, error: 'Bad Request' });
          expect(res.data.message).toBe(
            `${named}: pass-through sends leave at once and take no scheduling or expiry; schedule or expire a ` +
              'message with send_at, expires_at or ttl_seconds on POST /api/v1/whatsapp/send, send-media or send-bulk',
          );
          expect(res.headers['x-message-log-id']).toBeUndefined();
        }
      }
      expect(upstreamCalls(instance.name)).toHaveLength(0);
      const log = await http.get(`/api/v1/whatsapp/messages?instance=${instance.name}`, key(client.apiKey));
      expect(log.data.total).toBe(0);
    });

    it('forwards the fields it does not know to the upstream on every send route', async () => {
      const { client, instance } = await tenant();
      const extra = { linkPreview: false, mentioned: ['254700112233'], customField: { nested: [1, 'two'] } };
      for (const [action, body] of sends()) {
        t.sim.requests().clear();
        const res = await http.post(`/message/${action}/${instance.name}`, { ...body, ...extra }, key(client.apiKey));
        expect([action, res.status]).toEqual([action, 201]);
        const [call] = upstreamCalls(instance.name).filter((r) => r.path === `/message/${action}/${instance.name}`);
        expect([action, call?.body]).toEqual([action, expect.objectContaining(extra)]);
      }
    });

    it('checks the fields instance/create, webhook/set and chat/deleteMessage read, and accepts the others', async () => {
      const { client, instance } = await tenant();
      const auth = key(client.apiKey);
      const create = await http.post(
        '/instance/create',
        { instanceName: uniqueInstanceName(), rejectCall: 'yes', proxyHost: 'proxy.example.com' },
        auth,
      );
      expect(create.status).toBe(400);
      expect(create.data.message).toBe('rejectCall: must be a boolean value');
      const hook = await http.post(
        `/webhook/set/${instance.name}`,
        { webhook: { url: 'https://example.com/hook', events: ['NOT_AN_EVENT'], headers: { 'x-a': '1' } } },
        auth,
      );
      expect(hook.status).toBe(400);
      expect(hook.data.message).toMatch(/^webhook\.events: each value must be one of APPLICATION_STARTUP/);
      const accepted = await http.post(
        `/webhook/set/${instance.name}`,
        { webhook: { url: 'https://example.com/hook', headers: { 'x-a': '1' } }, extra: true },
        auth,
      );
      expect(accepted.status).toBe(201);
      const deleted = await http.delete(`/chat/deleteMessage/${instance.name}`, {
        data: { remoteJid: `${to}@s.whatsapp.net`, messageId: 'X' },
        ...auth,
      });
      expect(deleted.status).toBe(400);
      expect(deleted.data.message).toBe('fromMe: must be a boolean value');
    });
  });

  describe('chat, group and settings routes', () => {
    it('forward the reference’s bodies with the instance token and answer the upstream’s status and body', async () => {
      const { client, instance } = await tenant();
      const auth = key(client.apiKey);
      const name = instance.name;
      t.sim.requests().clear();

      const numbers = await http.post(
        `/chat/whatsappNumbers/${name}`,
        { numbers: ['254712345678', '254712340000'] },
        auth,
      );
      expect(numbers.status).toBe(200);
      expect(numbers.data).toEqual([
        { jid: '254712345678@s.whatsapp.net', exists: true, number: '254712345678' },
        { jid: '254712340000@s.whatsapp.net', exists: false, number: '254712340000' },
      ]);

      const sent = await http.post(`/message/sendText/${name}`, { number: '254712345678', text: 'history' }, auth);
      const history = await http.post(
        `/chat/findMessages/${name}`,
        { where: { key: { remoteJid: '254712345678@s.whatsapp.net' } }, limit: 50 },
        auth,
      );
      expect(history.status).toBe(200);
      expect(history.data.messages.records[0].key.id).toBe(sent.data.key.id);

      const read = await http.post(
        `/chat/markMessageAsRead/${name}`,
        { readMessages: [{ remoteJid: '254712345678@s.whatsapp.net', fromMe: false, id: 'X' }] },
        auth,
      );
      expect(read.status).toBe(201);
      expect(read.data).toEqual({ message: 'Read messages', read: 'success' });

      const picture = await http.get(`/chat/fetchProfilePictureUrl/${name}?number=254712345678`, auth);
      expect(picture.status).toBe(200);
      expect(picture.data).toEqual({ wuid: '254712345678@s.whatsapp.net', profilePictureUrl: null });
      const pictureCall = t.sim.requests().find((r) => r.path === `/chat/fetchProfilePictureUrl/${name}`)!;
      expect(pictureCall).toMatchObject({ method: 'POST', body: { number: '254712345678' } });

      const deleted = await http.delete(`/chat/deleteMessage/${name}`, {
        data: { remoteJid: '254712345678@s.whatsapp.net', messageId: sent.data.key.id, fromMe: true, onlyMe: false },
        ...auth,
      });
      expect(deleted.status).toBe(201);
      expect(deleted.data.message.protocolMessage).toMatchObject({ type: 'REVOKE', key: { id: sent.data.key.id } });
      const deleteCall = t.sim.requests().find((r) => r.path === `/chat/deleteMessageForEveryone/${name}`)!;
      expect(deleteCall).toMatchObject({
        method: 'DELETE',
        body: { id: sent.data.key.id, remoteJid: '254712345678@s.whatsapp.net', fromMe: true },
      });
      const onlyMe = await http.delete(`/chat/deleteMessage/${name}`, {
        data: { remoteJid: 'x@s.whatsapp.net', messageId: 'y', fromMe: true, onlyMe: true },
        ...auth,
      });
      expect(onlyMe.status).toBe(400);

      const group = await http.post(
        `/group/create/${name}`,
        { subject: 'Team Updates', description: 'Announcements', participants: ['254712345678', '254700112233'] },
        auth,
      );
      expect(group.status).toBe(201);
      expect(group.data.id).toMatch(/@g\.us$/);
      const groups = await http.get(`/group/fetchAllGroups/${name}?getParticipants=false`, auth);
      expect(groups.status).toBe(200);
      expect(groups.data.map((g: { id: string }) => g.id)).toContain(group.data.id);
      const noQuery = await http.get(`/group/fetchAllGroups/${name}`, auth);
      expect(noQuery.status).toBe(400);
      expect(noQuery.data.response.message).toEqual(['The getParticipants needs to be informed in the query']);
      const participants = await http.put(
        `/group/updateParticipant/${name}?groupJid=${group.data.id}`,
        { action: 'add', participants: ['254711111111'] },
        auth,
      );
      expect(participants.status).toBe(201);
      expect(participants.data.updateParticipants[0]).toMatchObject({
        status: '200',
        jid: '254711111111@s.whatsapp.net',
      });

      const settings = {
        rejectCall: true,
        msgCall: 'Sorry',
        groupsIgnore: false,
        alwaysOnline: true,
        readMessages: false,
        readStatus: false,
        syncFullHistory: false,
      };
      const set = await http.post(`/settings/set/${name}`, settings, auth);
      expect(set.status).toBe(201);
      expect(set.data).toEqual({ settings: { instanceName: name, settings } });
      const find = await http.get(`/settings/find/${name}`, auth);
      expect(find.status).toBe(200);
      expect(find.data).toMatchObject(settings);

      const upstream = t.sim.requests().filter((r) => r.path.endsWith(`/${name}`));
      expect(upstream.length).toBeGreaterThan(10);
      for (const call of upstream) expect(call.headers.apikey).toBe(t.sim.instance(name)!.token);
    });

    it('lets only the documented query parameters reach the upstream', async () => {
      const a = await tenant();
      const b = await tenant();
      t.sim.requests().clear();
      const res = await http.get(
        `/instance/connectionState/${a.instance.name}?instanceName=${b.instance.name}&instanceId=${b.instance.id}`,
        key(a.client.apiKey),
      );
      expect(res.status).toBe(200);
      const [call] = upstreamCalls(a.instance.name);
      expect(call!.query).toEqual({});
      expect(upstreamCalls(b.instance.name)).toHaveLength(0);
    });

    it('answers webhook/find with null when no webhook is set', async () => {
      const { client, instance } = await tenant();
      const res = await http.get(`/webhook/find/${instance.name}`, key(client.apiKey));
      expect(res.status).toBe(200);
      expect(res.data).toBeNull();
      const missing = await http.post(
        `/webhook/set/${instance.name}`,
        { url: 'https://example.com' },
        key(client.apiKey),
      );
      expect(missing.status).toBe(400);
      expect(missing.data.message).toMatch(/^webhook: is required/);
    });
  });

  describe('upstream quirks', () => {
    it('turns HTTP 200 {error:true, "[object Object]"} into a 502 with a useful message', async () => {
      const { client, instance } = await tenant();
      t.sim.setState(instance.name, 'close');
      const res = await http.post(`/instance/restart/${instance.name}`, undefined, key(client.apiKey));
      expect(res.status).toBe(502);
      expect(res.data).toMatchObject({ statusCode: 502, error: 'Bad Gateway' });
      expect(res.data.message).toMatch(
        /failed to restart the instance for "[^"]+"; check that the instance is connected/,
      );
      expect(res.data.message).not.toContain('[object Object]');
    });

    it('replaces "[object Object]" in an error body and redacts the gateway’s secrets, keeping the upstream status', async () => {
      const { client, instance } = await tenant();
      const token = t.sim.instance(instance.name)!.token;
      t.sim.addFault({
        route: `POST /message/sendText/${instance.name}`,
        count: 1,
        status: 400,
        body: { status: 400, error: 'Bad Request', response: { message: ['[object Object]'] } },
      });
      const res = await http.post(
        `/message/sendText/${instance.name}`,
        { number: '120363025246125486@g.us', text: 'hi' },
        key(client.apiKey),
      );
      expect(res.status).toBe(400);
      expect(res.data.response.message).toEqual([
        expect.stringMatching(
          /^The WhatsApp server gave no reason why it could not send the message for "[^"]+"; check that the instance is connected/,
        ),
      ]);

      t.sim.addFault({
        route: `GET /settings/find/${instance.name}`,
        count: 1,
        status: 500,
        body: {
          status: 500,
          error: 'Internal Server Error',
          response: { message: `bad key ${TEST_GLOBAL_KEY} / ${token}` },
        },
      });
      const leaky = await http.get(`/settings/find/${instance.name}`, key(client.apiKey));
      expect(leaky.status).toBe(502);
      expect(leaky.data).toEqual({
        statusCode: 502,
        error: 'Bad Gateway',
        code: 'UPSTREAM_ERROR',
        message: `The WhatsApp server failed to read the settings (request id ${leaky.headers['x-request-id']})`,
      });
    });

    it('answers an upstream 5xx on a send as v1 does, never with its text, and names the logged attempt', async () => {
      const { client, instance } = await tenant();
      const internals = "TypeError: Cannot read properties of undefined (reading 'id')";
      t.sim.addFault({
        route: `POST /message/sendText/${instance.name}`,
        count: 1,
        status: 500,
        body: { status: 500, error: 'Internal Server Error', response: { message: [internals] } },
      });
      const failed = await http.post(
        `/message/sendText/${instance.name}`,
        { number: '254712345678', text: 'hi' },
        key(client.apiKey),
      );
      expect(failed.status).toBe(502);
      expect(JSON.stringify(failed.data)).not.toContain('TypeError');
      expect(failed.data.message).toMatch(/^The WhatsApp server failed to send the message \(request id .+\)$/);
      const logged = await http.get(`/api/v1/whatsapp/messages?instance=${instance.name}&limit=1`, key(client.apiKey));
      expect(logged.data.messages[0]).toMatchObject({ id: failed.headers['x-message-log-id'], status: 'failed' });

      t.sim.addFault({
        route: `POST /message/sendText/${instance.name}`,
        count: 1,
        status: 500,
        body: { status: 500, error: 'Internal Server Error', response: { message: ['Error: Connection Closed'] } },
      });
      const closed = await http.post(
        `/message/sendText/${instance.name}`,
        { number: '254712345678', text: 'hi' },
        key(client.apiKey),
      );
      expect(closed.status).toBe(409);
      expect(closed.data.message).toMatch(/is not connected to WhatsApp; reconnect it by scanning a new QR code/);
      expect(closed.headers['x-message-log-id']).toMatch(/^\d+$/);
    });

    it('heals a rotated instance token transparently', async () => {
      const { client, instance } = await tenant();
      t.sim.rotateToken(instance.name);
      const res = await http.get(`/settings/find/${instance.name}`, key(client.apiKey));
      expect(res.status).toBe(200);
      expectNoSecrets(res, instance.name);
    });
  });

  it('never answered with the upstream’s global key or an instance token', () => {
    expect(tokens.size).toBeGreaterThan(10);
    expect(leaks).toEqual([]);
  });
});
