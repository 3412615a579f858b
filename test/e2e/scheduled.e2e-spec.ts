import { AxiosInstance } from 'axios';
import { adminToken, createClient, httpClient } from '../factories/client.factory';
import { createInstance, resellerToken, TestInstance } from '../factories/instance.factory';
import { queryDb, startTestApp, TestApp } from '../setup/test-app';
import { waitFor } from '../setup/wait-for';

/** Pacing off, so tests that are not about pacing run at full speed; polls of the bulk page are not rate limited. */
const UNPACED = { send_interval_ms: 0, jitter_min_ms: 0, jitter_max_ms: 0, rate_limit: 100000 };
const PNG_BASE64 = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex').toString('base64');

const inSeconds = (s: number) => new Date(Date.now() + s * 1000).toISOString();

describe('scheduled and expiring sends', () => {
  let t: TestApp;
  let http: AxiosInstance;
  let admin: string;

  beforeAll(async () => {
    t = await startTestApp({ SEND_MAX_WAIT_MS: '30000' });
    http = httpClient(t.url);
    admin = await adminToken(http);
  });
  afterAll(() => t.close());

  async function tenant(settings: Record<string, unknown> = UNPACED) {
    const client = await createClient(http, admin, settings);
    const instance: TestInstance = await createInstance(http, await resellerToken(http, client));
    t.sim.scan(instance.name);
    return { instance, key: { headers: { apikey: client.apiKey } } };
  }

  const sendsTo = (name: string) =>
    t.sim.requests().filter((r) => r.path.startsWith('/message/') && r.path.endsWith(`/${name}`));
  const numbersSentBy = (name: string) => sendsTo(name).map((r) => (r.body as { number: string }).number);

  async function logged(id: string): Promise<Record<string, unknown>> {
    const [row] = await queryDb(t, 'SELECT id, status, upstream_message_id, error FROM messages WHERE id = $1', [id]);
    expect(row).toBeDefined();
    return row!;
  }

  it('answers 202 with a scheduled message, sends nothing until send_at, then sends it once through the normal path', async () => {
    const { instance, key } = await tenant();
    const sendAt = inSeconds(2);
    const res = await http.post(
      '/api/v1/whatsapp/send',
      { instanceName: instance.name, number: '0712345601', text: 'Later!', send_at: sendAt },
      { headers: { ...key.headers, 'idempotency-key': `sched-${instance.name}` } },
    );
    expect(res.status).toBe(202);
    expect(res.data).toMatchObject({
      status: 'scheduled',
      number: '254712345601',
      message_id: null,
      send_at: sendAt,
      expires_at: null,
    });
    expect(sendsTo(instance.name)).toHaveLength(0);
    // A replay of the same request answers as the first did: 202, the same message, nothing scheduled twice.
    const replay = await http.post(
      '/api/v1/whatsapp/send',
      { instanceName: instance.name, number: '0712345601', text: 'Later!', send_at: sendAt },
      { headers: { ...key.headers, 'idempotency-key': `sched-${instance.name}` } },
    );
    expect(replay.status).toBe(202);
    expect(replay.data.id).toBe(res.data.id);
    const listed = await http.get(`/api/v1/whatsapp/messages?status=scheduled&instance=${instance.name}`, key);
    expect(listed.data).toMatchObject({ total: 1, messages: [{ id: res.data.id, status: 'scheduled' }] });

    await waitFor(() => sendsTo(instance.name).length > 0, 15000, 'the scheduled send');
    const [upstream] = sendsTo(instance.name);
    expect(upstream!.body).toEqual({ number: '254712345601', text: 'Later!' });
    expect(upstream!.at.getTime()).toBeGreaterThanOrEqual(new Date(sendAt).getTime());
    const row = await waitFor(
      async () => {
        const r = await logged(res.data.id);
        return r.upstream_message_id ? r : undefined;
      },
      10000,
      'the sent message to be logged',
    );
    expect(row.status).not.toBe('scheduled');
    expect(await queryDb(t, 'SELECT 1 FROM scheduled_sends WHERE message_id = $1', [res.data.id])).toHaveLength(0);
    expect(sendsTo(instance.name)).toHaveLength(1);
  }, 30000);

  it('schedules a media send with its file as accepted', async () => {
    const { instance, key } = await tenant();
    const res = await http.post(
      '/api/v1/whatsapp/send-media',
      {
        instanceName: instance.name,
        number: '0712345602',
        mediaType: 'image',
        media: PNG_BASE64,
        caption: 'pic',
        send_at: inSeconds(1),
      },
      key,
    );
    expect(res.status).toBe(202);
    expect(res.data).toMatchObject({ status: 'scheduled', message_type: 'image' });
    await waitFor(() => sendsTo(instance.name).length > 0, 15000, 'the scheduled media send');
    expect(sendsTo(instance.name)[0]!.body).toMatchObject({
      number: '254712345602',
      mediatype: 'image',
      media: PNG_BASE64,
      caption: 'pic',
    });
  }, 30000);

  it('cancels a scheduled message before it is due: never sent, and only a scheduled message can be cancelled', async () => {
    const { instance, key } = await tenant();
    const schedule = (number: string, seconds: number) =>
      http.post(
        '/api/v1/whatsapp/send',
        { instanceName: instance.name, number, text: 'maybe', send_at: inSeconds(seconds) },
        key,
      );
    const cancelled = await schedule('0712345603', 1);
    const kept = await schedule('0712345604', 2);

    const res = await http.delete(`/api/v1/whatsapp/messages/${cancelled.data.id}`, key);
    expect(res.status).toBe(200);
    expect(res.data).toMatchObject({ id: cancelled.data.id, status: 'cancelled', send_at: cancelled.data.send_at });

    // The later one going out proves the earlier due time has passed: the cancelled one never left.
    await waitFor(() => sendsTo(instance.name).length > 0, 15000, 'the kept message');
    expect(numbersSentBy(instance.name)).toEqual(['254712345604']);
    expect((await logged(cancelled.data.id)).status).toBe('cancelled');

    const again = await http.delete(`/api/v1/whatsapp/messages/${cancelled.data.id}`, key);
    expect(again.status).toBe(409);
    expect(again.data).toMatchObject({
      code: 'MESSAGE_NOT_SCHEDULED',
      message: expect.stringContaining('is cancelled'),
    });
    await waitFor(async () => (await logged(kept.data.id)).upstream_message_id, 10000, 'the kept one logged');
    const sent = await http.delete(`/api/v1/whatsapp/messages/${kept.data.id}`, key);
    expect(sent.status).toBe(409);
    expect(sent.data.message).toMatch(/is (queued|sent|delivered|read)/);
    expect((await http.delete('/api/v1/whatsapp/messages/not-an-id', key)).status).toBe(400);
    expect((await http.delete('/api/v1/whatsapp/messages/999999999', key)).status).toBe(404);
    expect(numbersSentBy(instance.name)).toEqual(['254712345604']);
  }, 30000);

  it('applies the opt-out list when a scheduled message comes due: logged failed, never sent', async () => {
    const { instance, key } = await tenant();
    const schedule = (number: string, seconds: number) =>
      http.post(
        '/api/v1/whatsapp/send',
        { instanceName: instance.name, number, text: 'offer', send_at: inSeconds(seconds) },
        key,
      );
    const refused = await schedule('0712345608', 1);
    const kept = await schedule('0712345609', 2);
    expect((await http.post('/api/v1/whatsapp/opt-outs', { numbers: ['0712345608'] }, key)).status).toBeLessThan(300);

    await waitFor(() => sendsTo(instance.name).length > 0, 15000, 'the kept message');
    expect(numbersSentBy(instance.name)).toEqual(['254712345609']);
    const row = await waitFor(
      async () => {
        const r = await logged(refused.data.id);
        return r.status === 'failed' ? r : undefined;
      },
      10000,
      'the opted-out message to be logged failed',
    );
    expect(row.error).toContain('254712345608');
    expect(kept.status).toBe(202);
  }, 30000);

  it('refuses a scheduled message that comes due on a restricted instance: logged failed with the reason, never sent', async () => {
    const { instance, key } = await tenant();
    const res = await http.post(
      '/api/v1/whatsapp/send',
      { instanceName: instance.name, number: '0712345610', text: 'offer', send_at: inSeconds(2) },
      key,
    );
    expect(res.status).toBe(202);
    t.sim.setState(instance.name, 'close', { statusReason: 403 });
    await waitFor(
      async () => (await http.get(`/api/v1/whatsapp/status/${instance.name}`, key)).data.restriction ?? undefined,
      5000,
      `${instance.name} to be restricted`,
    );
    const row = await waitFor(
      async () => {
        const r = await logged(res.data.id);
        return r.status === 'failed' ? r : undefined;
      },
      15000,
      'the due message to be refused',
    );
    expect(row.error).toContain('restricted');
    expect(sendsTo(instance.name)).toHaveLength(0);
  }, 30000);

  it('keeps a client from cancelling, or seeing, another client’s scheduled message', async () => {
    const a = await tenant();
    const b = await tenant();
    const res = await http.post(
      '/api/v1/whatsapp/send',
      { instanceName: a.instance.name, number: '0712345605', text: 'mine', send_at: inSeconds(3600) },
      a.key,
    );
    expect(res.status).toBe(202);
    const foreign = await http.delete(`/api/v1/whatsapp/messages/${res.data.id}`, b.key);
    expect(foreign.status).toBe(404);
    expect(foreign.data.code).toBe('MESSAGE_NOT_FOUND');
    expect(foreign.data.message).not.toContain('scheduled');
    expect((await logged(res.data.id)).status).toBe('scheduled');
    expect((await http.delete(`/api/v1/whatsapp/messages/${res.data.id}`, a.key)).status).toBe(200);
  });

  it('expires a send whose pacing slot comes after its expiry: logged expired, 422, nothing sent upstream', async () => {
    const { instance, key } = await tenant({ ...UNPACED, send_interval_ms: 20000 });
    const first = await http.post(
      '/api/v1/whatsapp/send',
      { instanceName: instance.name, number: '0712345606', text: 'first' },
      key,
    );
    expect(first.status).toBe(201);
    const started = Date.now();
    const res = await http.post(
      '/api/v1/whatsapp/send',
      { instanceName: instance.name, number: '0712345607', text: 'one-time code 1234', ttl_seconds: 2 },
      key,
    );
    // Answered at once, without waiting for the slot 20 s away.
    expect(Date.now() - started).toBeLessThan(10000);
    expect(res.status).toBe(422);
    expect(res.data).toMatchObject({ code: 'MESSAGE_EXPIRED', message: expect.stringContaining('pacing slot') });
    const id = res.headers['x-message-log-id'] as string;
    expect(id).toMatch(/^\d+$/);
    expect(await logged(id)).toMatchObject({ status: 'expired', upstream_message_id: null });
    expect(numbersSentBy(instance.name)).toEqual(['254712345606']);
    const listed = await http.get(`/api/v1/whatsapp/messages?status=expired&instance=${instance.name}`, key);
    expect(listed.data).toMatchObject({ total: 1, messages: [{ id, status: 'expired' }] });
  }, 30000);

  it('answers 202 with a scheduled bulk, starts it at send_at, and cancels another one before it is due', async () => {
    const { instance, key } = await tenant();
    const bulk = (numbers: string[], seconds: number) =>
      http.post(
        '/api/v1/whatsapp/send-bulk',
        { instanceName: instance.name, recipients: numbers, message: 'sale', send_at: inSeconds(seconds) },
        key,
      );
    const cancelled = await bulk(['0712345611', '0712345612'], 1);
    const started = await bulk(['0712345613', '0712345614'], 2);
    expect(started.status).toBe(202);
    expect(started.data).toMatchObject({ status: 'scheduled', accepted: 2, send_at: expect.any(String) });
    const view = await http.get(`/api/v1/whatsapp/send-bulk/${started.data.bulk_id}`, key);
    expect(view.data).toMatchObject({ status: 'scheduled', send_at: started.data.send_at, started_at: null });
    const cancel = await http.post(`/api/v1/whatsapp/send-bulk/${cancelled.data.bulk_id}/cancel`, {}, key);
    expect(cancel.status).toBe(200);
    expect(cancel.data.status).toBe('cancelled');

    const done = await waitFor(
      async () => {
        const r = await http.get(`/api/v1/whatsapp/send-bulk/${started.data.bulk_id}`, key);
        return r.data.status === 'completed' ? r.data : undefined;
      },
      20000,
      'the scheduled bulk to complete',
    );
    expect(new Date(done.started_at).getTime()).toBeGreaterThanOrEqual(new Date(started.data.send_at).getTime());
    expect(numbersSentBy(instance.name).sort()).toEqual(['254712345613', '254712345614']);
    expect(sendsTo(instance.name).every((r) => r.at.getTime() >= new Date(started.data.send_at).getTime())).toBe(true);
    const dropped = await http.get(`/api/v1/whatsapp/send-bulk/${cancelled.data.bulk_id}`, key);
    expect(dropped.data).toMatchObject({ status: 'cancelled', counts: expect.objectContaining({ cancelled: 2 }) });
  }, 40000);

  it('expires the bulk recipients whose turn comes after the bulk’s expiry, and completes the bulk', async () => {
    const { instance, key } = await tenant({ ...UNPACED, send_interval_ms: 2500 });
    const numbers = ['254712345621', '254712345622', '254712345623', '254712345624'];
    const res = await http.post(
      '/api/v1/whatsapp/send-bulk',
      { instanceName: instance.name, recipients: numbers, message: 'flash sale', ttl_seconds: 4 },
      key,
    );
    expect(res.status).toBe(202);
    expect(res.data).toMatchObject({ status: 'queued', expires_at: expect.any(String) });
    const done = await waitFor(
      async () => {
        const r = await http.get(`/api/v1/whatsapp/send-bulk/${res.data.bulk_id}`, key);
        return r.data.status === 'completed' ? r.data : undefined;
      },
      20000,
      'the bulk to complete',
    );
    const sent = numbersSentBy(instance.name);
    const expired = (done.recipients as { number: string; status: string; error: string }[]).filter(
      (r) => r.status === 'expired',
    );
    // The first goes at once and the last would leave 7.5 s later: at least one of each, whatever the machine's speed.
    expect(sent.length).toBeGreaterThanOrEqual(1);
    expect(expired.length).toBeGreaterThanOrEqual(1);
    expect(done.counts.expired).toBe(expired.length);
    expect(sent.length + expired.length).toBe(numbers.length);
    expect(expired.map((r) => r.number).filter((n) => sent.includes(n))).toEqual([]);
    expect(expired[0]!.error).toMatch(/^expired/);
    expect(done.progress).toBe(1);
  }, 40000);

  it('expires the pending recipients of a paused bulk at its expiry without a resume, and a resume then sends nothing', async () => {
    const { instance, key } = await tenant();
    const numbers = ['254712345641', '254712345642', '254712345643', '254712345644'];
    // Each send takes a second upstream, so the bulk is paused by hand while its first recipient is in flight.
    t.sim.addFault({ route: `POST /message/sendText/${instance.name}`, count: numbers.length, delayMs: 1000 });
    const res = await http.post(
      '/api/v1/whatsapp/send-bulk',
      { instanceName: instance.name, recipients: numbers, message: 'flash sale', ttl_seconds: 3 },
      key,
    );
    expect(res.status).toBe(202);
    const bulkUrl = `/api/v1/whatsapp/send-bulk/${res.data.bulk_id}`;
    await waitFor(() => sendsTo(instance.name).length > 0, 10000, 'the first send to reach the upstream');
    const paused = await http.post(`${bulkUrl}/pause`, {}, key);
    expect(paused.data).toMatchObject({ status: 'paused', pause_reason: 'paused by request' });
    const expiresAt = new Date(res.data.expires_at as string).getTime();

    // Nothing resumes it: the worker's sweep expires what is left once the expiry passes, and completes the bulk.
    const done = await waitFor(
      async () => {
        const r = await http.get(bulkUrl, key);
        return r.data.status === 'completed' ? r.data : undefined;
      },
      15000,
      'the paused bulk to complete at its expiry',
    );
    expect(new Date(done.finished_at).getTime()).toBeGreaterThanOrEqual(expiresAt);
    const sent = numbersSentBy(instance.name);
    const expired = (done.recipients as { number: string; status: string; error: string }[]).filter(
      (r) => r.status === 'expired',
    );
    // The first recipient was in flight when the bulk paused; the pause stopped the bulk before the last ones.
    expect(sent[0]).toBe(numbers[0]);
    expect(expired.map((r) => r.number)).toEqual(numbers.slice(sent.length));
    expect(expired.length).toBeGreaterThanOrEqual(2);
    expect(expired[0]!.error).toBe(
      `expired: the bulk expired at ${res.data.expires_at as string} before this recipient's turn`,
    );
    expect(done).toMatchObject({ pause_reason: null, progress: 1, expected_finish_at: null });
    expect(done.counts).toMatchObject({ pending: 0, sending: 0, expired: expired.length });

    // A resume finds nothing left to send: the bulk is completed.
    const resumed = await http.post(`${bulkUrl}/resume`, {}, key);
    expect(resumed.status).toBe(409);
    expect(resumed.data.code).toBe('BULK_STATE');
    const after = await http.get(bulkUrl, key);
    expect(after.data.counts).toEqual(done.counts);
    expect(numbersSentBy(instance.name)).toEqual(sent);
  }, 40000);

  it('expires a scheduled message pushed past its expiry when the expiry passes, not when it is next due', async () => {
    const { instance, key } = await tenant();
    const res = await http.post(
      '/api/v1/whatsapp/send',
      { instanceName: instance.name, number: '0712345651', text: 'Soon', send_at: inSeconds(30), ttl_seconds: 10 },
      key,
    );
    expect(res.status).toBe(202);
    // As the poller postpones a message whose pacing slot is further away than its expiry: due after it.
    const expiresAt = new Date(Date.now() + 1500);
    await queryDb(t, 'UPDATE scheduled_sends SET expires_at = $2, send_at = $3 WHERE message_id = $1', [
      res.data.id,
      expiresAt.toISOString(),
      new Date(Date.now() + 3600000).toISOString(),
    ]);
    const row = await waitFor(
      async () => {
        const r = await logged(res.data.id);
        return r.status === 'expired' ? r : undefined;
      },
      10000,
      'the message to expire',
    );
    expect(row.error).toBe(`Message expired at ${expiresAt.toISOString()} before it could be sent; it was not sent`);
    expect(await queryDb(t, 'SELECT 1 FROM scheduled_sends WHERE message_id = $1', [res.data.id])).toEqual([]);
    const listed = await http.get(`/api/v1/whatsapp/messages?status=expired&instance=${instance.name}`, key);
    expect(listed.data).toMatchObject({ total: 1, messages: [{ id: res.data.id, status: 'expired' }] });
    const cancel = await http.delete(`/api/v1/whatsapp/messages/${res.data.id}`, key);
    expect(cancel.status).toBe(409);
    expect(sendsTo(instance.name)).toEqual([]);
  });

  describe('bad input', () => {
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ['a past send_at', { send_at: new Date(Date.now() - 60000).toISOString() }, /^send_at: must be in the future/],
      ['a send_at over 30 days ahead', { send_at: inSeconds(31 * 24 * 3600) }, /^send_at: must be at most 30 days/],
      ['a send_at without offset', { send_at: '2030-01-01T10:00:00' }, /send_at: must be an ISO 8601 date-time/],
      ['a send_at that is no date', { send_at: 'tomorrow' }, /send_at/],
      ['expires_at and ttl_seconds', { expires_at: inSeconds(60), ttl_seconds: 60 }, /^expires_at: .*not both/],
      ['a ttl_seconds of 0', { ttl_seconds: 0 }, /ttl_seconds/],
      ['a ttl_seconds over 30 days', { ttl_seconds: 30 * 24 * 3600 + 1 }, /ttl_seconds: must be at most/],
      [
        'an expires_at before send_at',
        { send_at: inSeconds(120), expires_at: inSeconds(60) },
        /^expires_at: must be after send_at/,
      ],
      ['a past expires_at', { expires_at: new Date(Date.now() - 1000).toISOString() }, /^expires_at: must be after/],
    ];

    it.each(cases)(
      'refuses %s with 400 naming the field, on send, send-media and send-bulk',
      async (_, timing, why) => {
        const { instance, key } = await tenant();
        const bodies: [string, Record<string, unknown>][] = [
          ['send', { instanceName: instance.name, number: '0712345630', text: 'x' }],
          ['send-media', { instanceName: instance.name, number: '0712345630', mediaType: 'image', media: PNG_BASE64 }],
          ['send-bulk', { instanceName: instance.name, recipients: ['0712345630'], message: 'x' }],
        ];
        for (const [route, body] of bodies) {
          const res = await http.post(`/api/v1/whatsapp/${route}`, { ...body, ...timing }, key);
          expect({ route, status: res.status }).toEqual({ route, status: 400 });
          expect(res.data.message).toMatch(why);
        }
        expect(sendsTo(instance.name)).toHaveLength(0);
        const rows = await queryDb(t, 'SELECT 1 FROM messages WHERE instance_id = $1', [instance.id]);
        expect(rows).toHaveLength(0);
      },
    );
  });
});
