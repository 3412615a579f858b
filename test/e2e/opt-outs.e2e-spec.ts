import { AxiosInstance } from 'axios';
import WebSocket from 'ws';
import { UPSTREAM_WEBHOOK_TOKEN_HEADER } from '@/integrations/evolution/upstream-webhook';
import { adminToken, createClient, httpClient, TestClient } from '../factories/client.factory';
import { createInstance, resellerToken, TestInstance } from '../factories/instance.factory';
import { startTestApp, TestApp, upstreamWebhookTokenOf } from '../setup/test-app';
import { waitFor } from '../setup/wait-for';
import { startWebhookReceiver, WebhookReceiver } from '../upstream/webhook-receiver';

const OPT_OUTS = '/api/v1/whatsapp/opt-outs';
const FAST = { send_interval_ms: 0, jitter_min_ms: 0, jitter_max_ms: 0, rate_limit: 10000 };

interface Tenant {
  client: TestClient;
  instance: TestInstance;
  key: { headers: { apikey: string } };
  jwt: string;
}

/**
 * Opt-outs: inbound keywords put a number on the client's list and take it off (announced to the tenant's webhook and
 * `/ws`), the list's routes with tenant isolation, and every send surface refusing a number on the list.
 */
describe('opt-outs', () => {
  let t: TestApp;
  let http: AxiosInstance;
  let admin: string;
  let receiver: WebhookReceiver;
  const sockets: WebSocket[] = [];

  beforeAll(async () => {
    t = await startTestApp({ WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' });
    http = httpClient(t.url);
    admin = await adminToken(http);
    receiver = await startWebhookReceiver();
  });
  afterAll(async () => {
    for (const ws of sockets) ws.terminate();
    await receiver.close();
    await t.close();
  });

  async function tenant(settings: Record<string, unknown> = {}): Promise<Tenant> {
    const client = await createClient(http, admin, { ...FAST, ...settings });
    const jwt = await resellerToken(http, client);
    const instance = await createInstance(http, jwt);
    const key = { headers: { apikey: client.apiKey } };
    await http.put(`/api/v1/whatsapp/webhook/${instance.name}`, { url: `${receiver.url}/${instance.name}` }, key);
    t.sim.scan(instance.name);
    return { client, instance, key, jwt };
  }

  const sendsTo = (name: string) =>
    t.sim.requests().filter((r) => r.path.startsWith('/message/') && r.path.endsWith(`/${name}`));
  const hooks = (instance: TestInstance, event: string) =>
    receiver.received.filter((h) => h.body?.instance === instance.name && h.body.event === event);
  const send = (x: Tenant, number: string, text = 'Your order shipped') =>
    http.post('/api/v1/whatsapp/send', { instanceName: x.instance.name, number, text }, x.key);
  const listed = async (x: Tenant, query = '') => (await http.get(`${OPT_OUTS}${query}`, x.key)).data;

  /** An inbound message, then the list as it settles (the receiver applies keywords as the webhook arrives). */
  async function inbound(x: Tenant, from: string, text: string, expectListed: boolean): Promise<void> {
    t.sim.receiveMessage(x.instance.name, { from, text });
    await waitFor(
      async () => ((await listed(x, `?number=${from}`)).total === 1) === expectListed,
      5000,
      `${from} ${expectListed ? 'on' : 'off'} the list after "${text}"`,
    );
  }

  function liveEvents(x: Tenant): { events: { event: string; data: Record<string, unknown> }[]; open: Promise<void> } {
    const ws = new WebSocket(`${t.url.replace(/^http/, 'ws')}/ws`, { headers: x.key.headers });
    sockets.push(ws);
    const events: { event: string; data: Record<string, unknown> }[] = [];
    ws.on('message', (raw: Buffer) => events.push(JSON.parse(raw.toString()) as (typeof events)[number]));
    return { events, open: new Promise((resolve) => ws.once('open', () => resolve())) };
  }

  describe('inbound keywords', () => {
    it('opts a sender out on STOP (trimmed, any case) and back in on START, telling the webhook and /ws each time', async () => {
      const x = await tenant();
      const live = liveEvents(x);
      await live.open;
      await inbound(x, '254712300001', '  stop please ', false);
      await inbound(x, '254712300001', '  sToP \n', true);
      const page = await listed(x);
      expect(page).toEqual({
        opt_outs: [{ number: '254712300001', source: 'keyword', keyword: 'STOP', created_at: expect.any(String) }],
        total: 1,
        next_cursor: null,
      });
      const out = await waitFor(() => hooks(x.instance, 'optout.update')[0], 5000, 'optout.update to the webhook');
      expect(out.body).toMatchObject({
        event: 'optout.update',
        instance: x.instance.name,
        data: { number: '254712300001', opted_out: true, keyword: 'STOP', instance: x.instance.name },
      });
      expect(out.headers['webhook-signature']).toMatch(/^v1,/);
      await waitFor(() => live.events.some((e) => e.event === 'optout.update'), 5000, 'optout.update on /ws');

      // A second opt-out keyword keeps the number on the list (added once) and is announced for its own message.
      await inbound(x, '254712300001', 'UNSUBSCRIBE', true);
      await waitFor(() => hooks(x.instance, 'optout.update').length === 2, 5000, 'the second opt-out event');
      expect((await listed(x)).opt_outs).toEqual([expect.objectContaining({ keyword: 'STOP' })]);
      await waitFor(() => hooks(x.instance, 'messages.upsert').length === 3, 5000, 'the three inbound messages');

      await inbound(x, '254712300001', 'Start', false);
      const back = await waitFor(
        () =>
          hooks(x.instance, 'optout.update').find((h) => (h.body.data as { opted_out?: boolean }).opted_out === false),
        5000,
        'the opt-in event',
      );
      expect(back.body.data).toEqual({
        number: '254712300001',
        opted_out: false,
        keyword: 'START',
        instance: x.instance.name,
      });
      await waitFor(
        () =>
          live.events
            .filter((e) => e.event === 'optout.update')
            .map((e) => e.data.opted_out)
            .join() === 'true,true,false',
        5000,
        'the three events on /ws',
      );
      expect(hooks(x.instance, 'optout.update')).toHaveLength(3);
      expect((await send(x, '0712300001')).status).toBe(201);
    });

    it('announces a keyword message once however often the upstream posts it', async () => {
      const x = await tenant();
      const stop = t.sim.receiveMessage(x.instance.name, { from: '254712300003', text: 'STOP' });
      await waitFor(() => hooks(x.instance, 'optout.update').length === 1, 5000, 'the opt-out event');
      // The upstream posts the same message again (it retries what it thinks failed, contract §4.3).
      const repeat = await http.post(
        `/webhooks/evolution/${x.instance.name}`,
        { event: 'messages.upsert', instance: x.instance.name, data: stop, date_time: new Date().toISOString() },
        { headers: { [UPSTREAM_WEBHOOK_TOKEN_HEADER]: await upstreamWebhookTokenOf(t, x.instance.id) } },
      );
      expect(repeat.status).toBe(200);
      t.sim.receiveMessage(x.instance.name, { from: '254712300003', text: 'a later message' });
      await waitFor(() => hooks(x.instance, 'messages.upsert').length === 2, 5000, 'the later message');
      expect(hooks(x.instance, 'optout.update')).toHaveLength(1);
      expect((await listed(x)).total).toBe(1);
    });

    it('follows the keywords the operator set for the client, and refuses a word in both lists', async () => {
      const x = await tenant();
      const patch = (body: object) =>
        http.patch(`/api/admin/clients/${x.client.id}`, body, { headers: { authorization: `Bearer ${admin}` } });
      const both = await patch({ opt_out_keywords: ['basta'], opt_in_keywords: [' Basta '] });
      expect(both.status).toBe(400);
      expect(both.data.code).toBe('VALIDATION_FAILED');
      const blank = await patch({ opt_out_keywords: ['STOP', '   '] });
      expect(blank.status).toBe(400);
      expect(blank.data.message).toMatch(/^opt_out_keywords: each keyword must be 1 to 32 characters/);
      expect((await patch({ opt_in_keywords: null })).status).toBe(400);
      const set = await patch({ opt_out_keywords: [' basta', 'BAJA'], opt_in_keywords: ['alta'] });
      expect(set.status).toBe(200);
      expect(set.data).toMatchObject({ opt_out_keywords: ['BASTA', 'BAJA'], opt_in_keywords: ['ALTA'] });

      await inbound(x, '254712300002', 'STOP', false);
      await inbound(x, '254712300002', 'basta', true);
      await inbound(x, '254712300002', 'ALTA', false);
    });

    it('gives new clients the default keywords', async () => {
      const res = await http.post(
        '/api/admin/clients',
        { name: 'defaults' },
        { headers: { authorization: `Bearer ${admin}` } },
      );
      expect(res.data).toMatchObject({
        opt_out_keywords: ['STOP', 'UNSUBSCRIBE', 'STOPALL', 'CANCEL', 'END', 'QUIT'],
        opt_in_keywords: ['START', 'UNSTOP'],
      });
    });
  });

  describe('the list’s routes', () => {
    it('imports numbers normalised as sends are, idempotently, and names an invalid one without adding any', async () => {
      const x = await tenant();
      const numbers = ['0712300010', '+254 712 300 010', '254712300011@s.whatsapp.net', '254712300012'];
      const first = await http.post(OPT_OUTS, { numbers }, x.key);
      expect(first.status).toBe(200);
      expect(first.data).toEqual({ received: 4, added: 3 });
      expect((await http.post(OPT_OUTS, { numbers, source: 'import' }, x.key)).data).toEqual({ received: 4, added: 0 });

      const bad = await http.post(OPT_OUTS, { numbers: ['254712300013', '0712'] }, x.key);
      expect(bad.status).toBe(400);
      expect(bad.data).toMatchObject({
        code: 'INVALID_NUMBER',
        message: 'numbers[1]: "0712" is too short to be a phone number',
      });
      const group = await http.post(OPT_OUTS, { numbers: ['120363025246125888@g.us'] }, x.key);
      expect(group.status).toBe(400);
      expect(group.data.message).toMatch(/^numbers\[0\]: .* is not a person's phone number/);
      expect((await http.post(OPT_OUTS, { numbers: [] }, x.key)).status).toBe(400);
      expect((await http.post(OPT_OUTS, { numbers: ['254712300014'], source: 'keyword' }, x.key)).status).toBe(400);

      const all = await listed(x);
      expect(all.total).toBe(3);
      expect(all.opt_outs.map((o: { number: string; source: string }) => [o.number, o.source])).toEqual([
        ['254712300012', 'api'],
        ['254712300011', 'api'],
        ['254712300010', 'api'],
      ]);
      const imported = await http.post(OPT_OUTS, { numbers: ['254712300015'], source: 'import' }, x.key);
      expect(imported.data.added).toBe(1);
      expect((await listed(x, '?number=0712300015')).opt_outs).toEqual([
        expect.objectContaining({ number: '254712300015', source: 'import', keyword: null }),
      ]);
    });

    it('pages newest first by cursor and filters by number in any form', async () => {
      const x = await tenant();
      for (const n of ['254712300021', '254712300022', '254712300023'])
        await http.post(OPT_OUTS, { numbers: [n] }, x.key);
      const first = await listed(x, '?limit=2');
      expect(first.opt_outs.map((o: { number: string }) => o.number)).toEqual(['254712300023', '254712300022']);
      expect(first.total).toBe(3);
      const second = await listed(x, `?limit=2&cursor=${first.next_cursor}`);
      expect(second.opt_outs.map((o: { number: string }) => o.number)).toEqual(['254712300021']);
      expect(second.next_cursor).toBeNull();
      expect((await listed(x, '?number=%2B254%20712%20300%20022')).opt_outs).toHaveLength(1);
      expect((await http.get(`${OPT_OUTS}?cursor=nonsense!`, x.key)).status).toBe(400);
      expect((await http.get(`${OPT_OUTS}?number=abc`, x.key)).data.code).toBe('INVALID_NUMBER');
    });

    it('deletes a number (any form) so sends reach it again, and answers 404 for one not on the list', async () => {
      const x = await tenant();
      await http.post(OPT_OUTS, { numbers: ['254712300031'] }, x.key);
      expect((await send(x, '254712300031')).status).toBe(403);
      const removed = await http.delete(`${OPT_OUTS}/0712300031`, x.key);
      expect(removed.status).toBe(204);
      expect((await send(x, '254712300031')).status).toBe(201);
      const again = await http.delete(`${OPT_OUTS}/0712300031`, x.key);
      expect(again.status).toBe(404);
      expect(again.data).toEqual({
        statusCode: 404,
        error: 'Not Found',
        code: 'OPT_OUT_NOT_FOUND',
        message: '254712300031 is not on the opt-out list',
      });
      expect((await http.delete(`${OPT_OUTS}/not-a-number`, x.key)).status).toBe(400);
    });

    it('keeps each client’s list to itself, takes reseller tokens and refuses instance keys and no credential', async () => {
      const a = await tenant();
      const b = await tenant();
      await http.post(OPT_OUTS, { numbers: ['254712300041'] }, a.key);
      expect((await listed(b)).total).toBe(0);
      expect((await http.delete(`${OPT_OUTS}/254712300041`, b.key)).status).toBe(404);
      expect((await listed(a)).total).toBe(1);
      expect((await send(b, '254712300041')).status).toBe(201);
      expect((await send(a, '254712300041')).status).toBe(403);
      // Keywords sent to one client's instance opt out of that client only.
      await inbound(b, '254712300042', 'STOP', true);
      expect((await listed(a, '?number=254712300042')).total).toBe(0);

      const bearer = { headers: { authorization: `Bearer ${a.jwt}` } };
      expect((await http.get(OPT_OUTS, bearer)).data.total).toBe(1);
      const instanceKey = { headers: { apikey: a.instance.apiKey } };
      const refused = await http.get(OPT_OUTS, instanceKey);
      expect(refused.status).toBe(403);
      expect(refused.data.code).toBe('CLIENT_KEY_REQUIRED');
      expect((await http.post(OPT_OUTS, { numbers: ['254712300043'] }, instanceKey)).status).toBe(403);
      expect((await http.delete(`${OPT_OUTS}/254712300041`, instanceKey)).status).toBe(403);
      expect((await http.get(OPT_OUTS)).status).toBe(401);
      expect((await listed(a)).total).toBe(1);
    });
  });

  describe('sends to a number on the list', () => {
    it('refuses v1 sends with 403 OPTED_OUT naming the number, logged failed and never sent', async () => {
      const x = await tenant();
      await http.post(OPT_OUTS, { numbers: ['254712300051'] }, x.key);
      const before = sendsTo(x.instance.name).length;
      const res = await send(x, '+254 712 300 051');
      expect(res.status).toBe(403);
      expect(res.data).toEqual({
        statusCode: 403,
        error: 'Forbidden',
        code: 'OPTED_OUT',
        message: expect.stringMatching(/^254712300051 has opted out of messages from this account/),
      });
      const logId = res.headers['x-message-log-id'] as string;
      const media = await http.post(
        '/api/v1/whatsapp/send-media',
        { instanceName: x.instance.name, number: '0712300051', mediaType: 'image', media: 'aGVsbG8=' },
        x.key,
      );
      expect(media.status).toBe(403);
      expect(media.data.code).toBe('OPTED_OUT');
      // A person's JID is the same person.
      expect((await send(x, '254712300051@s.whatsapp.net')).data.code).toBe('OPTED_OUT');
      expect(sendsTo(x.instance.name)).toHaveLength(before);

      const log = await http.get('/api/v1/whatsapp/messages?number=254712300051', x.key);
      expect(log.data.messages).toEqual([
        expect.objectContaining({ message_type: 'image', status: 'failed', error: media.data.message }),
        expect.objectContaining({
          id: logId,
          source: 'api',
          message_type: 'text',
          status: 'failed',
          error: res.data.message,
          failed_at: expect.any(String),
        }),
      ]);
      // Refused sends take no unit of the daily cap and no pacing slot: the next send goes at once.
      expect((await send(x, '254712300052')).status).toBe(201);
    });

    it('refuses pass-through sends the same way, naming the log row', async () => {
      const x = await tenant();
      await http.post(OPT_OUTS, { numbers: ['254712300061'] }, x.key);
      const res = await http.post(
        `/message/sendText/${x.instance.name}`,
        { number: '0712300061', text: 'hello' },
        x.key,
      );
      expect(res.status).toBe(403);
      expect(res.data.code).toBe('OPTED_OUT');
      expect(sendsTo(x.instance.name)).toHaveLength(0);
      const log = await http.get('/api/v1/whatsapp/messages?number=254712300061', x.key);
      expect(log.data.messages).toEqual([
        expect.objectContaining({ id: res.headers['x-message-log-id'], source: 'passthrough', status: 'failed' }),
      ]);
      // Groups are never on the list.
      const group = await http.post(
        `/message/sendText/${x.instance.name}`,
        { number: '120363025246125888@g.us', text: 'hello group' },
        x.key,
      );
      expect(group.status).toBe(201);
    });

    it('skips a bulk recipient that opted out, counts it, and sends to the others', async () => {
      const x = await tenant();
      await http.post(OPT_OUTS, { numbers: ['254712300072'] }, x.key);
      const res = await http.post(
        '/api/v1/whatsapp/send-bulk',
        { instanceName: x.instance.name, recipients: ['254712300071', '0712300072', '254712300073'], message: 'Sale' },
        x.key,
      );
      expect(res.status).toBe(202);
      const done = await waitFor(
        async () => {
          const bulk = await http.get(`/api/v1/whatsapp/send-bulk/${res.data.bulk_id}`, x.key);
          return bulk.data.status === 'completed' ? bulk.data : undefined;
        },
        15000,
        'the bulk to complete',
      );
      expect(done.counts).toMatchObject({ skipped: 1, failed: 0 });
      expect(done.recipients).toEqual([
        expect.objectContaining({ number: '254712300071', status: expect.stringMatching(/^(sent|delivered|read)$/) }),
        expect.objectContaining({ number: '254712300072', status: 'skipped', error: 'opted_out' }),
        expect.objectContaining({ number: '254712300073', status: expect.stringMatching(/^(sent|delivered|read)$/) }),
      ]);
      expect(sendsTo(x.instance.name).map((r) => (r.body as { number: string }).number)).toEqual([
        '254712300071',
        '254712300073',
      ]);
      // A skipped recipient has no log row.
      expect((await http.get('/api/v1/whatsapp/messages?number=254712300072', x.key)).data.total).toBe(0);
    });
  });
});
