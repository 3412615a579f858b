import { AxiosInstance } from 'axios';
import { BulkRunnerService } from '@/modules/bulk/bulk-runner.service';
import { MessageRepository } from '@/modules/messages/message.repository';
import { adminToken, createClient, httpClient } from '../factories/client.factory';
import { createInstance, resellerToken, TestInstance } from '../factories/instance.factory';
import { queryDb, startTestApp, TestApp } from '../setup/test-app';
import { waitFor } from '../setup/wait-for';

const BULK = '/api/v1/whatsapp/send-bulk';
/** The reference's pacing floor, without jitter so the gaps are predictable. */
const PACED = { send_interval_ms: 1000, jitter_min_ms: 0, jitter_max_ms: 0 };
const FAST = { send_interval_ms: 0, jitter_min_ms: 0, jitter_max_ms: 0 };
/** A dropped connection (408); the simulator's default close, a logout (401), would restrict the instance. */
const DROPPED = { statusReason: 408 };

describe('bulk sends', () => {
  let t: TestApp;
  let http: AxiosInstance;
  let admin: string;

  beforeAll(async () => {
    t = await startTestApp();
    http = httpClient(t.url);
    admin = await adminToken(http);
  });
  afterAll(() => t.close());

  async function tenant(settings: Record<string, unknown>, instances = 1) {
    const client = await createClient(http, admin, { ...settings, rate_limit: 10000 });
    const jwt = await resellerToken(http, client);
    const created: TestInstance[] = [];
    for (let i = 0; i < instances; i++) {
      const instance = await createInstance(http, jwt);
      t.sim.scan(instance.name);
      created.push(instance);
    }
    return { client, instances: created, key: { headers: { apikey: client.apiKey } } };
  }

  const sendsTo = (name: string) =>
    t.sim
      .requests()
      .filter((r) => r.path === `/message/sendText/${name}`)
      .map((r) => ({
        at: r.at.getTime(),
        number: (r.body as { number: string }).number,
        text: (r.body as { text: string }).text,
      }));

  const bulkDone = (key: object, id: string, timeoutMs = 15000) =>
    waitFor(
      async () => {
        const res = await http.get(`${BULK}/${id}`, key);
        return res.data.status === 'completed' ? res.data : undefined;
      },
      timeoutMs,
      `bulk ${id} to complete`,
    );

  function gaps(times: number[]): number[] {
    return times.slice(1).map((time, i) => time - times[i]!);
  }

  it('accepts at once and sends in order with gaps of at least 1 s', async () => {
    const { instances, key } = await tenant(PACED);
    const res = await http.post(
      BULK,
      {
        instanceName: instances[0]!.name,
        recipients: ['254712000001', '254712000002', '254712000003'],
        message: 'Hi there',
      },
      key,
    );
    expect(res.status).toBe(202);
    expect(res.data).toEqual({
      bulk_id: expect.any(String),
      total: 3,
      accepted: 3,
      rejected: [],
      warnings: [],
      status: 'queued',
      send_at: null,
      expires_at: null,
    });

    const done = await bulkDone(key, res.data.bulk_id);
    expect(done).toMatchObject({
      status: 'completed',
      total: 3,
      progress: 1,
      counts: expect.objectContaining({ pending: 0, failed: 0 }),
    });
    const sends = sendsTo(instances[0]!.name);
    expect(sends.map((s) => s.number)).toEqual(['254712000001', '254712000002', '254712000003']);
    for (const gap of gaps(sends.map((s) => s.at))) expect(gap).toBeGreaterThanOrEqual(1000);

    const log = await http.get(`/api/v1/whatsapp/messages?bulk_id=${res.data.bulk_id}`, key);
    expect(log.data.total).toBe(3);
    expect(
      log.data.messages.every(
        (m: { source: string; bulk_id: string }) => m.source === 'bulk' && m.bulk_id === res.data.bulk_id,
      ),
    ).toBe(true);
  });

  it('rejects invalid recipients one by one, fills variables, and warns about identical text and shorteners', async () => {
    const { instances, key } = await tenant(FAST);
    const recipients = [
      ...Array.from({ length: 11 }, (_, i) => `2547120001${String(i).padStart(2, '0')}`),
      'not-a-number',
      '254712000100',
      // Quotes and a backslash survive the trip through Postgres and back.
      { number: '254712000200', variables: { name: 'Amina "A\\B"' } },
      { number: '254712000201' },
      42,
    ];
    const res = await http.post(
      BULK,
      { instanceName: instances[0]!.name, recipients, message: 'Hello{{name}} https://bit.ly/x' },
      key,
    );
    expect(res.status).toBe(202);
    expect(res.data.accepted).toBe(0 + 1);
    expect(res.data.rejected).toEqual(
      expect.arrayContaining([
        { number: 'not-a-number', reason: expect.stringContaining('is not a phone number') },
        { number: '254712000100', reason: 'variables.name: is missing for this recipient' },
        { number: 'recipients.15', reason: 'must be a phone number or an object {number, variables}' },
      ]),
    );

    const plain = await http.post(
      BULK,
      {
        instanceName: instances[0]!.name,
        recipients: [...recipients.slice(0, 11), '254712000150', '254712000150'],
        message: 'Same for all https://bit.ly/x',
      },
      key,
    );
    expect(plain.data.accepted).toBe(12);
    expect(plain.data.rejected).toEqual([{ number: '254712000150', reason: 'duplicate recipient in this bulk' }]);
    expect(plain.data.warnings).toEqual([
      expect.stringMatching(/^The same text goes to 12 recipients/),
      expect.stringMatching(/URL shortener bit\.ly/),
    ]);
    await bulkDone(key, plain.data.bulk_id);
    const texts = sendsTo(instances[0]!.name).map((s) => s.text);
    expect(texts).toContain('HelloAmina "A\\B" https://bit.ly/x');
  });

  it('answers 400 when no recipient is valid, and validates the body', async () => {
    const { instances, key } = await tenant(FAST);
    const none = await http.post(BULK, { instanceName: instances[0]!.name, recipients: ['x'], message: 'hi' }, key);
    expect(none.status).toBe(400);
    expect(none.data.message).toMatch(/^recipients: none is valid/);
    const bad = await http.post(
      BULK,
      { instanceName: instances[0]!.name, recipients: [], message: ' ', delay: -1 },
      key,
    );
    expect(bad.status).toBe(400);
    for (const field of ['recipients: ', 'message: ', 'delay: ']) expect(bad.data.message).toContain(field);
    const tooMany = await http.post(
      BULK,
      { instanceName: instances[0]!.name, recipients: Array(10001).fill('254712345678'), message: 'hi' },
      key,
    );
    expect(tooMany.status).toBe(400);
    expect(tooMany.data.message).toMatch(/recipients: must contain no more than 10000 elements/);
  });

  it('with check_numbers, skips recipients without WhatsApp and counts them, looking each number up once', async () => {
    const { instances, key } = await tenant(FAST);
    const name = instances[0]!.name;
    t.sim.setNotOnWhatsapp(['254712000502']);
    try {
      const res = await http.post(
        BULK,
        { instanceName: name, recipients: ['254712000501', '254712000502'], message: 'x', check_numbers: true },
        key,
      );
      expect(res.status).toBe(202);
      const done = await bulkDone(key, res.data.bulk_id);
      expect(done.counts).toMatchObject({ skipped: 1 });
      expect(done.recipients).toEqual([
        expect.objectContaining({ number: '254712000501', status: expect.stringMatching(/^(sent|delivered|read)$/) }),
        expect.objectContaining({ number: '254712000502', status: 'skipped', error: 'not_on_whatsapp', attempts: 1 }),
      ]);
      expect(sendsTo(name).map((s) => s.number)).toEqual(['254712000501']);
      const lookups = t.sim.requests().filter((r) => r.path === `/chat/whatsappNumbers/${name}`);
      expect(lookups.map((r) => r.body)).toEqual([{ numbers: ['254712000501'] }, { numbers: ['254712000502'] }]);
    } finally {
      t.sim.setNotOnWhatsapp([]);
    }
  });

  it('turns content warnings into 422 for a client that asks for it', async () => {
    const { instances, client, key } = await tenant(FAST);
    await queryDb(t, 'UPDATE clients SET strict_content_guard = true WHERE id = $1', [client.id]);
    // Changed behind the gateway's back: it sees the change once its copy of the key's client expires (1 s).
    const post = () =>
      http.post(
        BULK,
        { instanceName: instances[0]!.name, recipients: ['254712345678'], message: 'see https://tinyurl.com/x' },
        key,
      );
    const res = await waitFor(
      async () => {
        const answer = await post();
        return answer.status === 422 ? answer : undefined;
      },
      3000,
      'the setting to take effect',
    );
    expect(res.status).toBe(422);
    expect(res.data.message).toMatch(/URL shortener tinyurl\.com/);
  });

  it('interleaves two bulks on one instance without breaking the gap', async () => {
    const { instances, key } = await tenant(PACED);
    const name = instances[0]!.name;
    // Three each: B interleaves if its driver starts before A's second send (about 1 s), not within the few
    // milliseconds between A's first send and its next slot claim, which a busy machine can miss.
    const [a, b] = await Promise.all([
      http.post(
        BULK,
        { instanceName: name, recipients: ['254712000301', '254712000302', '254712000303'], message: 'A' },
        key,
      ),
      http.post(
        BULK,
        { instanceName: name, recipients: ['254712000401', '254712000402', '254712000403'], message: 'B' },
        key,
      ),
    ]);
    await Promise.all([bulkDone(key, a.data.bulk_id), bulkDone(key, b.data.bulk_id)]);
    const sends = sendsTo(name);
    expect(sends).toHaveLength(6);
    for (const gap of gaps(sends.map((s) => s.at))) expect(gap).toBeGreaterThanOrEqual(1000);
    // Interleaved: B does not wait for all of A.
    expect(sends.findIndex((s) => s.text === 'B')).toBeLessThan(sends.map((s) => s.text).lastIndexOf('A'));
  });

  it('runs bulks on two instances side by side', async () => {
    const { instances, key } = await tenant(PACED, 2);
    const started = Date.now();
    const ids = await Promise.all(
      instances.map(
        async (instance, n) =>
          (
            await http.post(
              BULK,
              {
                instanceName: instance.name,
                recipients: [`25471200050${n}`, `25471200060${n}`, `25471200070${n}`],
                message: 'x',
              },
              key,
            )
          ).data.bulk_id as string,
      ),
    );
    await Promise.all(ids.map((id) => bulkDone(key, id)));
    const firsts = instances.map((i) => sendsTo(i.name)[0]!.at);
    expect(Math.abs(firsts[0]! - firsts[1]!)).toBeLessThan(900);
    // Two 3-recipient bulks paced at 1 s take about 2 s side by side, not 4 s one after the other.
    expect(Date.now() - started).toBeLessThan(3900);
  });

  it('pauses, resumes and cancels midway', async () => {
    const { instances, key } = await tenant({ send_interval_ms: 400, jitter_min_ms: 0, jitter_max_ms: 0 });
    const name = instances[0]!.name;
    const recipients = Array.from({ length: 6 }, (_, i) => `25471200080${i}`);
    const { data } = await http.post(BULK, { instanceName: name, recipients, message: 'p' }, key);
    await waitFor(() => sendsTo(name).length >= 2, 5000, 'two sends');
    const paused = await http.post(`${BULK}/${data.bulk_id}/pause`, null, key);
    expect(paused.data).toEqual({ bulk_id: data.bulk_id, status: 'paused', pause_reason: 'paused by request' });
    const atPause = sendsTo(name).length;
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(sendsTo(name).length).toBeLessThanOrEqual(atPause + 1);
    expect((await http.post(`${BULK}/${data.bulk_id}/pause`, null, key)).status).toBe(409);

    expect((await http.post(`${BULK}/${data.bulk_id}/resume`, null, key)).data.status).toBe('running');
    const done = await bulkDone(key, data.bulk_id);
    expect(sendsTo(name).map((s) => s.number)).toEqual(recipients);
    expect(done.recipients.map((r: { position: number; status: string }) => r.position)).toEqual([1, 2, 3, 4, 5, 6]);

    const second = await http.post(
      BULK,
      { instanceName: name, recipients: Array.from({ length: 6 }, (_, i) => `25471200090${i}`), message: 'c' },
      key,
    );
    await waitFor(() => sendsTo(name).filter((s) => s.text === 'c').length >= 1, 5000, 'one send');
    const cancelled = await http.post(`${BULK}/${second.data.bulk_id}/cancel`, null, key);
    expect(cancelled.data.status).toBe('cancelled');
    const view = await http.get(`${BULK}/${second.data.bulk_id}`, key);
    expect(view.data.counts.cancelled).toBeGreaterThanOrEqual(4);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(sendsTo(name).filter((s) => s.text === 'c').length).toBeLessThanOrEqual(2);
  });

  it('pauses when the instance disconnects and resumes when it reconnects', async () => {
    const { instances, key } = await tenant({ send_interval_ms: 300, jitter_min_ms: 0, jitter_max_ms: 0 });
    const name = instances[0]!.name;
    const { data } = await http.post(
      BULK,
      { instanceName: name, recipients: Array.from({ length: 5 }, (_, i) => `25471201${i}123`), message: 'd' },
      key,
    );
    await waitFor(() => sendsTo(name).length >= 1, 5000, 'one send');
    t.sim.setState(name, 'close', DROPPED);
    const paused = await waitFor(
      async () => {
        const res = await http.get(`${BULK}/${data.bulk_id}`, key);
        return res.data.status === 'paused' ? res.data : undefined;
      },
      5000,
      'the bulk to pause',
    );
    expect(paused.pause_reason).toMatch(/^instance disconnected/);
    t.sim.scan(name);
    const done = await bulkDone(key, data.bulk_id);
    expect(done.recipients.filter((r: { status: string }) => r.status === 'failed')).toEqual([]);
    expect(new Set(sendsTo(name).map((s) => s.number)).size).toBe(5);
  });

  it('waits for a slot further away than one slot wait, and counts only the real attempt', async () => {
    const { instances, key } = await tenant(FAST);
    const name = instances[0]!.name;
    const { data } = await http.post(
      BULK,
      { instanceName: name, recipients: ['254712360001', '254712360002'], message: 'slow', delay: 9500 },
      key,
    );
    const done = await bulkDone(key, data.bulk_id, 30000);
    expect(done.recipients.map((r: { attempts: number }) => r.attempts)).toEqual([1, 1]);
    const [first, second] = sendsTo(name).map((s) => s.at);
    expect(second! - first!).toBeGreaterThanOrEqual(9500);
  }, 40000);

  it('cancelling closes the log row of an attempt that was interrupted before it left', async () => {
    const { client, instances, key } = await tenant(FAST);
    const name = instances[0]!.name;
    t.sim.setState(name, 'close', DROPPED);
    const { data } = await http.post(
      BULK,
      { instanceName: name, recipients: ['254712350001', '254712350002'], message: 'i' },
      key,
    );
    await waitFor(
      async () => (await http.get(`${BULK}/${data.bulk_id}`, key)).data.status === 'paused',
      5000,
      'the bulk to pause',
    );
    // What a worker killed during its slot wait leaves: the recipient's row written, linked, still queued.
    const [recipient] = await queryDb(
      t,
      `SELECT r.id, b.instance_id FROM bulk_recipients r JOIN bulk_jobs b ON b.id = r.bulk_id
      WHERE r.bulk_id = $1 AND r.position = 2`,
      [data.bulk_id],
    );
    await t.app.get(MessageRepository).createForClient(client.id, {
      instanceId: recipient!.instance_id as string,
      bulkId: data.bulk_id,
      bulkRecipientId: BigInt(recipient!.id as string),
      source: 'bulk',
      number: '254712350002',
      messageType: 'text',
    });
    expect((await http.get(`/api/v1/whatsapp/messages?bulk_id=${data.bulk_id}&status=queued`, key)).data.total).toBe(1);

    expect((await http.post(`${BULK}/${data.bulk_id}/cancel`, null, key)).data.status).toBe('cancelled');
    const log = await http.get(`/api/v1/whatsapp/messages?bulk_id=${data.bulk_id}&number=254712350002`, key);
    expect(log.data.messages).toEqual([expect.objectContaining({ status: 'failed', error: 'bulk cancelled' })]);
    expect((await http.get(`/api/v1/whatsapp/messages?bulk_id=${data.bulk_id}&status=queued`, key)).data.total).toBe(0);
  });

  it('deleting the instance cancels its bulks, and none of them sends to a new instance of that name', async () => {
    const { client, instances, key } = await tenant({ send_interval_ms: 2000, jitter_min_ms: 0, jitter_max_ms: 0 });
    const { name, id } = instances[0]!;
    const running = await http.post(
      BULK,
      { instanceName: name, recipients: ['254712370001', '254712370002', '254712370003'], message: 'r' },
      key,
    );
    await waitFor(() => sendsTo(name).length >= 1, 5000, 'the first send');
    t.sim.setState(name, 'close', DROPPED);
    const paused = await http.post(BULK, { instanceName: name, recipients: ['254712370004'], message: 'p' }, key);
    await waitFor(
      async () => (await http.get(`${BULK}/${paused.data.bulk_id}`, key)).data.status === 'paused',
      5000,
      'the second bulk to pause',
    );
    t.sim.scan(name);

    const jwt = await resellerToken(http, client);
    expect(
      (
        await http.delete(`/api/v1/whatsapp/reseller/sub-instances/${id}`, {
          headers: { authorization: `Bearer ${jwt}` },
        })
      ).status,
    ).toBe(204);
    for (const bulkId of [running.data.bulk_id, paused.data.bulk_id]) {
      const view = (await http.get(`${BULK}/${bulkId}`, key)).data;
      expect(view).toMatchObject({
        status: 'cancelled',
        pause_reason: 'instance deleted',
        finished_at: expect.any(String),
      });
      const unsent = view.recipients.filter(
        (r: { status: string }) => r.status !== 'sent' && r.status !== 'delivered' && r.status !== 'read',
      );
      expect(unsent.length).toBeGreaterThan(0);
      for (const r of unsent) expect(r).toMatchObject({ status: 'cancelled', error: 'instance deleted' });
      const resumed = await http.post(`${BULK}/${bulkId}/resume`, null, key);
      expect(resumed.status).toBe(409);
    }

    // A new instance takes the name; re-driving every active bulk sends nothing to it.
    await createInstance(http, jwt, { instanceName: name });
    t.sim.scan(name);
    const before = sendsTo(name).length;
    await t.app.get(BulkRunnerService).redriveActive();
    await t.app.get(BulkRunnerService).run(client.id, running.data.bulk_id);
    expect(sendsTo(name).length).toBe(before);
  });

  it('a worker cancels the bulk of an instance whose delete did not get to cancel it', async () => {
    const { client, instances, key } = await tenant({ send_interval_ms: 60000, jitter_min_ms: 0, jitter_max_ms: 0 });
    const { name, id } = instances[0]!;
    const { data } = await http.post(
      BULK,
      { instanceName: name, recipients: ['254712380001', '254712380002'], message: 'x' },
      key,
    );
    // The first send is out and WhatsApp's status for it recorded: statuses of a deleted instance are dropped.
    await waitFor(
      async () =>
        (
          await queryDb(t, "SELECT 1 FROM messages WHERE bulk_id = $1 AND status IN ('sent', 'delivered', 'read')", [
            data.bulk_id,
          ])
        ).length === 1,
      5000,
      'the first send, sent',
    );
    // What a process stopped between the delete and its cancel leaves behind.
    await queryDb(t, 'UPDATE instances SET deleted_at = now() WHERE id = $1', [id]);
    await t.app.get(BulkRunnerService).run(client.id, data.bulk_id);
    const view = (await http.get(`${BULK}/${data.bulk_id}`, key)).data;
    expect(view).toMatchObject({ status: 'cancelled', pause_reason: 'instance deleted' });
    // The first one went out (its status follows the message's: sent, delivered or read).
    expect(view.recipients.map((r: { status: string }) => r.status)).toEqual([
      expect.stringMatching(/^(sent|delivered|read)$/),
      'cancelled',
    ]);
  });

  it('cancelling settles what a dead worker left sending: sent if the upstream had accepted it, cancelled otherwise', async () => {
    const { client, instances, key } = await tenant(FAST);
    const name = instances[0]!.name;
    t.sim.setState(name, 'close', DROPPED);
    const { data } = await http.post(
      BULK,
      { instanceName: name, recipients: ['254712390001', '254712390002', '254712390003'], message: 'd' },
      key,
    );
    await waitFor(
      async () => (await http.get(`${BULK}/${data.bulk_id}`, key)).data.status === 'paused',
      5000,
      'the bulk to pause',
    );
    const recipients = await queryDb(
      t,
      'SELECT r.id, r.position, b.instance_id FROM bulk_recipients r JOIN bulk_jobs b ON b.id = r.bulk_id WHERE r.bulk_id = $1 ORDER BY r.position',
      [data.bulk_id],
    );
    // Recipient 1: the upstream accepted it, then the worker died. Recipient 2: the worker died before the call.
    const accepted = await t.app.get(MessageRepository).createForClient(client.id, {
      instanceId: recipients[0]!.instance_id as string,
      bulkId: data.bulk_id,
      bulkRecipientId: BigInt(recipients[0]!.id as string),
      source: 'bulk',
      number: '254712390001',
      messageType: 'text',
    });
    await queryDb(t, `UPDATE messages SET upstream_message_id = 'WAID-1', status = 'sent' WHERE id = $1`, [
      accepted.id,
    ]);
    await queryDb(t, `UPDATE bulk_recipients SET status = 'sending' WHERE bulk_id = $1 AND position IN (1, 2)`, [
      data.bulk_id,
    ]);

    expect((await http.post(`${BULK}/${data.bulk_id}/cancel`, null, key)).data.status).toBe('cancelled');
    const view = (await http.get(`${BULK}/${data.bulk_id}`, key)).data;
    expect(view.recipients.map((r: { status: string; message_id: string | null }) => [r.status, r.message_id])).toEqual(
      [
        ['sent', 'WAID-1'],
        ['cancelled', null],
        ['cancelled', null],
      ],
    );
  });

  it('fails a recipient that is not on WhatsApp at once and goes on', async () => {
    const { instances, key } = await tenant(FAST);
    const { data } = await http.post(
      BULK,
      { instanceName: instances[0]!.name, recipients: ['254712340000', '254712345678'], message: 'x' },
      key,
    );
    const done = await bulkDone(key, data.bulk_id);
    expect(done.counts).toMatchObject({ failed: 1 });
    expect(done.recipients[0]).toMatchObject({ status: 'failed', error: 'number: 254712340000 is not on WhatsApp' });
  });

  it('pages recipients and hides another client’s bulk', async () => {
    const { instances, key } = await tenant(FAST);
    const { data } = await http.post(
      BULK,
      {
        instanceName: instances[0]!.name,
        recipients: Array.from({ length: 5 }, (_, i) => `25471201100${i}`),
        message: 'x',
      },
      key,
    );
    const page = await http.get(`${BULK}/${data.bulk_id}?limit=2&after=2`, key);
    expect(page.data.recipients.map((r: { position: number }) => r.position)).toEqual([3, 4]);
    expect(page.data.next_after).toBe(4);
    const other = await tenant(FAST);
    expect((await http.get(`${BULK}/${data.bulk_id}`, other.key)).status).toBe(404);
    expect((await http.get(`${BULK}/not-a-uuid`, key)).status).toBe(400);
  });
});
