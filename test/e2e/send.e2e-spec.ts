import { AxiosInstance } from 'axios';
import { createHash } from 'node:crypto';
import { UPSTREAM_WEBHOOK_TOKEN_HEADER } from '@/integrations/evolution/upstream-webhook';
import { adminToken, createClient, httpClient, TestClient } from '../factories/client.factory';
import { createInstance, resellerToken, TestInstance } from '../factories/instance.factory';
import { MEDIA_BYTES, MediaServer, startMediaServer } from '../setup/media-server';
import { queryDb, startTestApp, TestApp, upstreamWebhookTokenOf } from '../setup/test-app';
import { waitFor } from '../setup/wait-for';

/** Pacing off, so tests that are not about pacing run at full speed. */
const UNPACED = { send_interval_ms: 0, jitter_min_ms: 0, jitter_max_ms: 0, max_instances: 50 };
/** A dropped connection (408); the simulator's default close, a logout (401), would restrict the instance. */
const DROPPED = { statusReason: 408 };

describe('sending, message log and stats', () => {
  let t: TestApp;
  /** The tenants' media host on loopback: the gateway fetches media URLs itself (see media-fetch.e2e-spec.ts). */
  let media: MediaServer;
  let http: AxiosInstance;
  let admin: string;

  beforeAll(async () => {
    media = await startMediaServer();
    t = await startTestApp({ WEBHOOK_ALLOWED_HOSTS: '127.0.0.1', SEND_MAX_WAIT_MS: '1000', MAX_MEDIA_BYTES: '2048' });
    http = httpClient(t.url);
    admin = await adminToken(http);
  });
  afterAll(async () => {
    await t.close();
    await media.close();
  });

  /** A client with a connected instance. */
  async function tenant(
    settings: Record<string, unknown> = UNPACED,
  ): Promise<{ client: TestClient; instance: TestInstance; key: { headers: { apikey: string } } }> {
    const client = await createClient(http, admin, settings);
    const instance = await createInstance(http, await resellerToken(http, client));
    t.sim.scan(instance.name);
    return { client, instance, key: { headers: { apikey: client.apiKey } } };
  }

  const sendsTo = (name: string) =>
    t.sim.requests().filter((r) => r.path.startsWith('/message/') && r.path.endsWith(`/${name}`));

  describe('POST /api/v1/whatsapp/send', () => {
    it('sends with the instance token and answers with the logged message', async () => {
      const { instance, key } = await tenant();
      const res = await http.post(
        '/api/v1/whatsapp/send',
        { instanceName: instance.name, number: '0712345678', text: 'Hello!' },
        key,
      );
      expect(res.status).toBe(201);
      expect(res.data).toMatchObject({
        id: expect.stringMatching(/^\d+$/),
        instance: instance.name,
        number: '254712345678',
        message_type: 'text',
        status: 'queued',
        message_id: expect.stringMatching(/^3EB0/),
        source: 'api',
        error: null,
      });
      const [upstream] = sendsTo(instance.name);
      expect(upstream!.body).toEqual({ number: '254712345678', text: 'Hello!' });
      expect(upstream!.headers.apikey).toBe(t.sim.instance(instance.name)!.token);
      expect(res.headers['x-ratelimit-limit']).toBe('60');
    });

    it.each([
      ['+254712345678', '254712345678'],
      ['254712345678', '254712345678'],
      ['0712 345 678', '254712345678'],
      ['120363025246125486@g.us', '120363025246125486@g.us'],
    ])('normalises %s to %s', async (number, expected) => {
      const { instance, key } = await tenant();
      const res = await http.post('/api/v1/whatsapp/send', { instanceName: instance.name, number, text: 'hi' }, key);
      expect(res.status).toBe(201);
      expect(res.data.number).toBe(expected);
      expect(sendsTo(instance.name).at(-1)!.body).toMatchObject({ number: expected });
    });

    it('rejects an invalid number naming the value and the reason, without calling the upstream', async () => {
      const { instance, key } = await tenant();
      const res = await http.post(
        '/api/v1/whatsapp/send',
        { instanceName: instance.name, number: '0712', text: 'hi' },
        key,
      );
      expect(res.status).toBe(400);
      expect(res.data).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        code: 'INVALID_NUMBER',
        message: 'number: "0712" is too short to be a phone number',
      });
      expect(sendsTo(instance.name)).toHaveLength(0);
    });

    it('validates the body naming each field', async () => {
      const { instance, key } = await tenant();
      const res = await http.post(
        '/api/v1/whatsapp/send',
        { instanceName: instance.name, text: '   ', extra: true },
        key,
      );
      expect(res.status).toBe(400);
      expect(res.data.message).toContain('number: must be a string');
      expect(res.data.message).toContain('text: must not be blank');
      expect(res.data.message).toContain('property extra should not exist');
    });

    it('answers 400 naming a number that is not on WhatsApp, and logs the failure', async () => {
      const { instance, key } = await tenant();
      const res = await http.post(
        '/api/v1/whatsapp/send',
        { instanceName: instance.name, number: '254712340000', text: 'hi' },
        key,
      );
      expect(res.status).toBe(400);
      expect(res.data.message).toBe('number: 254712340000 is not on WhatsApp');
      const log = await http.get(`/api/v1/whatsapp/messages?instance=${instance.name}`, key);
      expect(log.data.messages[0]).toMatchObject({
        status: 'failed',
        error: 'number: 254712340000 is not on WhatsApp',
        number: '254712340000',
      });
    });

    it('answers 409 telling the user to reconnect when the instance is not connected', async () => {
      const { instance, key } = await tenant();
      t.sim.setState(instance.name, 'close', DROPPED);
      const res = await http.post(
        '/api/v1/whatsapp/send',
        { instanceName: instance.name, number: '254712345678', text: 'hi' },
        key,
      );
      expect(res.status).toBe(409);
      expect(res.data.message).toMatch(/not connected to WhatsApp; reconnect it by scanning a new QR code/);
    });

    it('answers 409 for an instance never connected, whose upstream has no socket to send with', async () => {
      const client = await createClient(http, admin, UNPACED);
      const instance = await createInstance(http, await resellerToken(http, client));
      const res = await http.post(
        '/api/v1/whatsapp/send',
        { instanceName: instance.name, number: '254712345678', text: 'hi' },
        { headers: { apikey: client.apiKey } },
      );
      // The upstream's answer is a 500 TypeError (contract §12); to the user the instance is not connected.
      expect(t.sim.requests().some((r) => r.path === `/message/sendText/${instance.name}`)).toBe(true);
      expect(res.status).toBe(409);
      expect(res.data.message).toMatch(/not connected to WhatsApp; reconnect it by scanning a new QR code/);
    });

    it('answers 504 when the upstream does not answer in time, and 404 for an unknown instance', async () => {
      const { instance, key } = await tenant();
      expect(
        (
          await http.post(
            '/api/v1/whatsapp/send',
            { instanceName: 'nope-nope', number: '254712345678', text: 'hi' },
            key,
          )
        ).status,
      ).toBe(404);
      t.sim.addFault({ route: `POST /message/sendText/${instance.name}`, count: 1, timeoutMs: 6000 });
      const res = await http.post(
        '/api/v1/whatsapp/send',
        { instanceName: instance.name, number: '254712345678', text: 'hi' },
        key,
      );
      expect(res.status).toBe(504);
      expect(res.data.error).toBe('Gateway Timeout');
    }, 20000);
  });

  describe('POST /api/v1/whatsapp/send-media', () => {
    it('sends each media type by URL', async () => {
      const { instance, key } = await tenant();
      for (const mediaType of ['image', 'video', 'audio'] as const) {
        const res = await http.post(
          '/api/v1/whatsapp/send-media',
          { instanceName: instance.name, number: '254712345678', mediaType, media: `${media.url}/f`, caption: 'c' },
          key,
        );
        expect(res.status).toBe(201);
        expect(res.data.message_type).toBe(mediaType);
        expect(sendsTo(instance.name).at(-1)!.body).toMatchObject({
          mediatype: mediaType,
          media: MEDIA_BYTES.toString('base64'),
        });
      }
    });

    it('requires fileName for documents and sends base64 data URIs as bare base64 with their MIME type', async () => {
      const { instance, key } = await tenant();
      const base = {
        instanceName: instance.name,
        number: '254712345678',
        mediaType: 'document',
        media: 'data:application/pdf;base64,JVBERi0xLjQK',
      };
      const missing = await http.post('/api/v1/whatsapp/send-media', base, key);
      expect(missing.status).toBe(400);
      expect(missing.data.message).toBe('fileName: is required for documents');
      const res = await http.post('/api/v1/whatsapp/send-media', { ...base, fileName: 'invoice.pdf' }, key);
      expect(res.status).toBe(201);
      expect(sendsTo(instance.name).at(-1)!.body).toMatchObject({
        media: 'JVBERi0xLjQK',
        mimetype: 'application/pdf',
        fileName: 'invoice.pdf',
      });
    });

    it('answers 413 for media over the size limit and 400 for media that is neither URL nor base64', async () => {
      const { instance, key } = await tenant();
      const big = Buffer.alloc(4096, 1).toString('base64');
      const tooLarge = await http.post(
        '/api/v1/whatsapp/send-media',
        { instanceName: instance.name, number: '254712345678', mediaType: 'image', media: big },
        key,
      );
      expect(tooLarge.status).toBe(413);
      expect(tooLarge.data.message).toBe('media: is 4096 bytes, larger than the 2048-byte limit');
      const junk = await http.post(
        '/api/v1/whatsapp/send-media',
        { instanceName: instance.name, number: '254712345678', mediaType: 'image', media: 'not media!' },
        key,
      );
      expect(junk.status).toBe(400);
      expect(sendsTo(instance.name)).toHaveLength(0);
    });
  });

  describe('delivery status', () => {
    it('advances from the upstream webhooks to read, and never moves back', async () => {
      const { instance, key } = await tenant();
      const sent = await http.post(
        '/api/v1/whatsapp/send',
        { instanceName: instance.name, number: '254712345678', text: 'track me' },
        key,
      );
      const read = await waitFor(
        async () => {
          const log = await http.get(`/api/v1/whatsapp/messages?instance=${instance.name}`, key);
          const row = log.data.messages.find((m: { id: string }) => m.id === sent.data.id);
          return row?.status === 'read' ? row : undefined;
        },
        5000,
        'the message to be read',
      );
      expect(read.sent_at).toEqual(expect.any(String));
      expect(read.delivered_at).toEqual(expect.any(String));
      expect(read.read_at).toEqual(expect.any(String));

      const token = await upstreamWebhookTokenOf(t, instance.id);
      const late = {
        event: 'messages.update',
        instance: instance.name,
        data: { keyId: sent.data.message_id, status: 'DELIVERY_ACK', fromMe: true },
      };
      const res = await http.post(
        `/webhooks/evolution/${instance.name}`,
        { ...late, data: { ...late.data, status: 'ERROR' } },
        { headers: { [UPSTREAM_WEBHOOK_TOKEN_HEADER]: token } },
      );
      expect(res.status).toBe(200);
      const after = await http.get(`/api/v1/whatsapp/messages?instance=${instance.name}`, key);
      expect(after.data.messages[0].status).toBe('read');
    });

    it('refuses webhooks without the instance’s token, and answers an unknown instance the same way', async () => {
      const { instance } = await tenant();
      const forged = { headers: { [UPSTREAM_WEBHOOK_TOKEN_HEADER]: 'forged' } };
      const wrongToken = await http.post(
        `/webhooks/evolution/${instance.name}`,
        { event: 'messages.update', data: {} },
        forged,
      );
      const unknownName = await http.post(
        '/webhooks/evolution/no-such-instance-anywhere',
        { event: 'messages.update', data: {} },
        forged,
      );
      expect(wrongToken.status).toBe(401);
      expect(unknownName.data).toEqual(wrongToken.data);
    });

    it('applies a status that arrives before the send was logged, once the message exists', async () => {
      const { instance, key } = await tenant();
      t.sim.setAckSequence([]);
      try {
        const sent = await http.post(
          '/api/v1/whatsapp/send',
          { instanceName: instance.name, number: '254712345678', text: 'x' },
          key,
        );
        await queryDb(t, 'UPDATE messages SET upstream_message_id = NULL WHERE id = $1', [sent.data.id]);
        const token = await upstreamWebhookTokenOf(t, instance.id);
        const event = { event: 'messages.update', data: { keyId: sent.data.message_id, status: 'DELIVERY_ACK' } };
        expect(
          (
            await http.post(`/webhooks/evolution/${instance.name}`, event, {
              headers: { [UPSTREAM_WEBHOOK_TOKEN_HEADER]: token },
            })
          ).status,
        ).toBe(200);
        await queryDb(t, 'UPDATE messages SET upstream_message_id = $2 WHERE id = $1', [
          sent.data.id,
          sent.data.message_id,
        ]);
        await waitFor(
          async () =>
            (await queryDb(t, 'SELECT status FROM messages WHERE id = $1', [sent.data.id]))[0]!.status === 'delivered',
          10000,
          'the retried status',
        );
      } finally {
        t.sim.setAckSequence(['SERVER_ACK', 'DELIVERY_ACK', 'READ']);
      }
    }, 20000);

    it('records connection state changes from connection.update', async () => {
      const { instance } = await tenant();
      t.sim.setState(instance.name, 'close');
      await waitFor(
        async () =>
          (await queryDb(t, 'SELECT status FROM instances WHERE id = $1', [instance.id]))[0]!.status === 'close',
        5000,
        'state close',
      );
    });
  });

  describe('limits', () => {
    it('answers 429 with Retry-After and rate-limit headers past the client’s rate_limit', async () => {
      // Setting the tenant up spends two requests of the budget: the token exchange and the instance create.
      const { instance, key } = await tenant({ ...UNPACED, rate_limit: 5 });
      const answers = [];
      for (let i = 0; i < 4; i++) answers.push(await http.get(`/api/v1/whatsapp/status/${instance.name}`, key));
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 429]);
      const last = answers[3]!;
      expect(Number(last.headers['retry-after'])).toBeGreaterThan(0);
      expect(last.headers['x-ratelimit-limit']).toBe('5');
      expect(last.headers['x-ratelimit-remaining']).toBe('0');
      expect(last.data.message).toMatch(/^Rate limit exceeded: 5 requests per minute/);
    });

    it('paces one instance’s sends and refuses a slot further away than SEND_MAX_WAIT_MS', async () => {
      const { instance, key } = await tenant({ send_interval_ms: 400, jitter_min_ms: 0, jitter_max_ms: 0 });
      const results = await Promise.all(
        Array.from({ length: 4 }, (_, i) =>
          http.post(
            '/api/v1/whatsapp/send',
            { instanceName: instance.name, number: '254712345678', text: `m${i}` },
            key,
          ),
        ),
      );
      const statuses = results.map((r) => r.status).sort();
      expect(statuses).toEqual([201, 201, 201, 429]);
      const refused = results.find((r) => r.status === 429)!;
      expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(refused.data.message).toMatch(/pacing its sends/);
      const times = sendsTo(instance.name)
        .map((r) => r.at.getTime())
        .sort((a, b) => a - b);
      expect(times).toHaveLength(3);
      for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(390);
    });

    it('stops at the daily cap with 429 naming the cap and when it frees', async () => {
      const { instance, key } = await tenant({ ...UNPACED, daily_cap: 2 });
      const body = { instanceName: instance.name, number: '254712345678', text: 'hi' };
      expect((await http.post('/api/v1/whatsapp/send', body, key)).status).toBe(201);
      expect((await http.post('/api/v1/whatsapp/send', { ...body, number: '254712340000' }, key)).status).toBe(400);
      expect((await http.post('/api/v1/whatsapp/send', body, key)).status).toBe(201);
      const capped = await http.post('/api/v1/whatsapp/send', body, key);
      expect(capped.status).toBe(429);
      expect(capped.data.message).toMatch(
        /^Daily cap of 2 messages reached for this instance; it frees at \d{4}-\d{2}-\d{2}T00:00:00.000Z$/,
      );
    });

    it('keeps counting the day after Redis forgot the cap counter', async () => {
      const { instance, key } = await tenant({ ...UNPACED, daily_cap: 1 });
      const body = { instanceName: instance.name, number: '254712345678', text: 'hi' };
      expect((await http.post('/api/v1/whatsapp/send', body, key)).status).toBe(201);
      const redis = t.app.get((await import('@/common/redis/redis.service')).RedisService);
      await redis.client.del(redis.key('cap', instance.id, new Date().toISOString().slice(0, 10)));
      expect((await http.post('/api/v1/whatsapp/send', body, key)).status).toBe(429);
    });
  });

  it('paces a WhatsApp Web instance at one message a second at least when the client has no pacing override', async () => {
    // A client of an install from before the override existed: 0 ms in the database, no override (changed before
    // its key is first used, so no cached read of the client can predate it).
    const client = await createClient(http, admin, UNPACED);
    await queryDb(t, 'UPDATE clients SET pacing_override = false WHERE id = $1', [client.id]);
    const instance = await createInstance(http, await resellerToken(http, client));
    t.sim.scan(instance.name);
    const key = { headers: { apikey: client.apiKey } };
    const body = { instanceName: instance.name, number: '254712345678', text: 'x' };
    const [first, second] = await Promise.all([
      http.post('/api/v1/whatsapp/send', body, key),
      http.post('/api/v1/whatsapp/send', body, key),
    ]);
    // This app waits at most 1 s for a slot: the second one's is further away.
    expect([first.status, second.status].sort()).toEqual([201, 429]);
    expect([first, second].find((r) => r.status === 429)!.data.message).toMatch(/^Instance is pacing its sends/);
  });

  describe('idempotency', () => {
    it('replays the first answer for the same key and body, without sending again', async () => {
      const { instance, key } = await tenant();
      const headers = { ...key.headers, 'idempotency-key': 'order-1234' };
      const body = { instanceName: instance.name, number: '254712345678', text: 'once' };
      const first = await http.post('/api/v1/whatsapp/send', body, { headers });
      const second = await http.post(
        '/api/v1/whatsapp/send',
        { text: 'once', number: '254712345678', instanceName: instance.name },
        { headers },
      );
      expect(first.status).toBe(201);
      expect(second.status).toBe(201);
      expect(second.data).toEqual(first.data);
      expect(second.headers['idempotent-replayed']).toBe('true');
      expect(sendsTo(instance.name)).toHaveLength(1);

      const conflict = await http.post('/api/v1/whatsapp/send', { ...body, text: 'different' }, { headers });
      expect(conflict.status).toBe(422);
      expect(conflict.data.message).toBe('Idempotency-Key was already used with a different request');
    });

    it('takes over a key left in progress by a process that died, but not one whose request may still run', async () => {
      const { client, instance, key } = await tenant();
      const body = { instanceName: instance.name, number: '254712345678', text: 'after a crash' };
      // What a process killed mid-request leaves: the key claimed, no answer, long ago; and one claimed just now.
      // (The body's keys are in sorted order, so this is the request's hash.)
      const hash = createHash('sha256')
        .update(`POST /api/v1/whatsapp/send\n${JSON.stringify(body)}`)
        .digest('hex');
      await queryDb(
        t,
        `INSERT INTO idempotency_keys (client_id, key, request_hash, expires_at, created_at)
        VALUES ($1, 'crashed', $2, now() + interval '1 day', now() - interval '1 hour'),
               ($1, 'running', $2, now() + interval '1 day', now())`,
        [client.id, hash],
      );
      const running = await http.post('/api/v1/whatsapp/send', body, {
        headers: { ...key.headers, 'idempotency-key': 'running' },
      });
      expect(running.status).toBe(409);
      expect(running.data.message).toBe('A request with this Idempotency-Key is still being processed');

      const takenOver = await http.post('/api/v1/whatsapp/send', body, {
        headers: { ...key.headers, 'idempotency-key': 'crashed' },
      });
      expect(takenOver.status).toBe(201);
      const replayed = await http.post('/api/v1/whatsapp/send', body, {
        headers: { ...key.headers, 'idempotency-key': 'crashed' },
      });
      expect(replayed.data).toEqual(takenOver.data);
      expect(sendsTo(instance.name)).toHaveLength(1);
    });

    it('keeps the answer of a send that timed out, so a retry with the key cannot send it twice', async () => {
      const { instance, key } = await tenant();
      const headers = { ...key.headers, 'idempotency-key': 'timed-out' };
      const body = { instanceName: instance.name, number: '254712345678', text: 'slow upstream' };
      // No answer within EVOLUTION_TIMEOUT_MS (5 s here): the upstream may or may not have sent it.
      t.sim.addFault({ route: `POST /message/sendText/${instance.name}`, count: 1, timeoutMs: 8000 });
      const first = await http.post('/api/v1/whatsapp/send', body, { headers });
      expect(first.status).toBe(504);
      const logId = first.headers['x-message-log-id'];
      expect(logId).toMatch(/^\d+$/);
      expect(first.data.message).toContain(
        `the message may still have reached WhatsApp: check message log id ${logId} before sending it again`,
      );

      const retried = await http.post('/api/v1/whatsapp/send', body, { headers });
      expect(retried.status).toBe(504);
      expect(retried.headers['idempotent-replayed']).toBe('true');
      expect(retried.data.message).toContain(`check message log id ${logId}`);
      expect(sendsTo(instance.name)).toHaveLength(1);
    }, 20000);

    it('releases the key when the request fails, so it can be retried', async () => {
      const { instance, key } = await tenant();
      const headers = { ...key.headers, 'idempotency-key': 'retry-me' };
      t.sim.setState(instance.name, 'close', DROPPED);
      expect(
        (
          await http.post(
            '/api/v1/whatsapp/send',
            { instanceName: instance.name, number: '254712345678', text: 'x' },
            { headers },
          )
        ).status,
      ).toBe(409);
      t.sim.scan(instance.name);
      expect(
        (
          await http.post(
            '/api/v1/whatsapp/send',
            { instanceName: instance.name, number: '254712345678', text: 'x' },
            { headers },
          )
        ).status,
      ).toBe(201);
    });
  });

  describe('auto-healing on sends', () => {
    it('20 concurrent sends after a token rotation all succeed with exactly one refresh', async () => {
      const { instance, key } = await tenant();
      await http.post(
        '/api/v1/whatsapp/send',
        { instanceName: instance.name, number: '254712345678', text: 'warm' },
        key,
      );
      t.sim.rotateToken(instance.name);
      t.sim.requests().clear();
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          http.post(
            '/api/v1/whatsapp/send',
            { instanceName: instance.name, number: '254712345678', text: `n${i}` },
            key,
          ),
        ),
      );
      expect(results.map((r) => r.status)).toEqual(Array(20).fill(201));
      expect(
        t.sim.requests().filter((r) => r.path === '/instance/fetchInstances' && r.query.instanceName === instance.name),
      ).toHaveLength(1);
    });
  });

  describe('GET /api/v1/whatsapp/messages', () => {
    it('filters, counts and pages by offset and by cursor, and shows only the caller’s messages', async () => {
      const { instance, key } = await tenant();
      const other = await tenant();
      for (let i = 0; i < 5; i++)
        await http.post(
          '/api/v1/whatsapp/send',
          { instanceName: instance.name, number: `25471234567${i}`, text: `m${i}` },
          key,
        );
      await http.post(
        '/api/v1/whatsapp/send',
        { instanceName: instance.name, number: '254712340000', text: 'fails' },
        key,
      );
      await http.post(
        '/api/v1/whatsapp/send',
        { instanceName: other.instance.name, number: '254712345678', text: 'theirs' },
        other.key,
      );

      const all = await http.get('/api/v1/whatsapp/messages?limit=50', key);
      expect(all.status).toBe(200);
      expect(all.data.total).toBe(6);
      expect(all.data.messages.every((m: { instance: string }) => m.instance === instance.name)).toBe(true);

      const failed = await http.get('/api/v1/whatsapp/messages?status=failed', key);
      expect(failed.data).toMatchObject({ total: 1, messages: [expect.objectContaining({ number: '254712340000' })] });

      const byNumber = await http.get('/api/v1/whatsapp/messages?number=0712345672', key);
      expect(byNumber.data.total).toBe(1);
      expect(byNumber.data.messages[0].number).toBe('254712345672');

      const page1 = await http.get('/api/v1/whatsapp/messages?limit=4', key);
      const page2 = await http.get(`/api/v1/whatsapp/messages?limit=4&cursor=${page1.data.next_cursor}`, key);
      const byOffset = await http.get('/api/v1/whatsapp/messages?limit=4&offset=4', key);
      expect(page1.data.messages).toHaveLength(4);
      expect(page2.data.messages.map((m: { id: string }) => m.id)).toEqual(
        byOffset.data.messages.map((m: { id: string }) => m.id),
      );
      expect(page2.data.next_cursor).toBeNull();

      const future = await http.get(
        `/api/v1/whatsapp/messages?from=${encodeURIComponent(new Date(Date.now() + 60000).toISOString())}`,
        key,
      );
      expect(future.data).toMatchObject({ total: 0, messages: [] });
      const past = await http.get(
        `/api/v1/whatsapp/messages?to=${encodeURIComponent(new Date(Date.now() + 60000).toISOString())}`,
        key,
      );
      expect(past.data.total).toBe(6);
    });

    it('rejects bad filters naming them', async () => {
      const { key } = await tenant();
      const res = await http.get('/api/v1/whatsapp/messages?limit=0&status=lost&from=yesterday&cursor=!!', key);
      expect(res.status).toBe(400);
      for (const field of ['limit: ', 'status: ', 'from: ', 'cursor: ']) expect(res.data.message).toContain(field);
    });
  });

  describe('GET /api/v1/whatsapp/stats', () => {
    it('answers exactly the reference’s keys with values from the rollups', async () => {
      const { instance, key } = await tenant();
      await http.post('/api/v1/whatsapp/send', { instanceName: instance.name, number: '254712345678', text: 'a' }, key);
      await http.post('/api/v1/whatsapp/send', { instanceName: instance.name, number: '254712345679', text: 'b' }, key);
      await http.post(
        '/api/v1/whatsapp/send-media',
        { instanceName: instance.name, number: '254712345678', mediaType: 'image', media: `${media.url}/x.jpg` },
        key,
      );
      await http.post(
        '/api/v1/whatsapp/send',
        { instanceName: instance.name, number: '254712340000', text: 'fails' },
        key,
      );
      await waitFor(
        async () => (await http.get('/api/v1/whatsapp/stats', key)).data.total_sent === 3,
        5000,
        'three sent',
      );

      const { data } = await http.get('/api/v1/whatsapp/stats', key);
      expect(Object.keys(data).sort()).toEqual([
        'by_type',
        'daily_last_30',
        'messages_today',
        'rate_limit',
        'success_rate',
        'total_attempts',
        'total_sent',
      ]);
      expect(data).toMatchObject({
        messages_today: 4,
        total_sent: 3,
        total_attempts: 4,
        success_rate: '75.0%',
        rate_limit: 60,
      });
      expect(data.by_type).toEqual([
        { message_type: 'text', count: 3 },
        { message_type: 'image', count: 1 },
      ]);
      expect(data.daily_last_30).toHaveLength(30);
      expect(data.daily_last_30[29]).toEqual({ date: new Date().toISOString().slice(0, 10), count: 4 });
      expect(data.daily_last_30[0].count).toBe(0);
    });
  });
});
