import { AxiosInstance } from 'axios';
import { adminToken, createClient, httpClient, TestClient } from '../factories/client.factory';
import { createInstance, resellerToken, TestInstance } from '../factories/instance.factory';
import { startTestApp, TestApp } from '../setup/test-app';
import { waitFor } from '../setup/wait-for';

const CHECK = '/api/v1/whatsapp/check-numbers';
/** NUMBER_CHECK_PER_MINUTE's default, which is also the most numbers one check takes. */
const PER_MINUTE = 500;
/** Pacing off, so the bulk below is not about pacing. */
const UNPACED = { send_interval_ms: 0, jitter_min_ms: 0, jitter_max_ms: 0, rate_limit: 10000 };

/** `n` distinct Kenyan numbers from `254713<from>`, normalised. */
const numbersFrom = (from: number, n: number) => Array.from({ length: n }, (_, i) => `254713${from + i}`);

describe('POST /api/v1/whatsapp/check-numbers', () => {
  let t: TestApp;
  let http: AxiosInstance;
  let admin: string;

  beforeAll(async () => {
    // The default lookup limit: a check of as many numbers as one request may hold must be answerable with it.
    t = await startTestApp();
    http = httpClient(t.url);
    admin = await adminToken(http);
  });
  afterAll(async () => {
    await t.close();
  });

  async function tenant(settings: Record<string, unknown> = {}): Promise<{
    client: TestClient;
    instance: TestInstance;
    key: { headers: { apikey: string } };
  }> {
    const client = await createClient(http, admin, settings);
    const instance = await createInstance(http, await resellerToken(http, client));
    t.sim.scan(instance.name);
    return { client, instance, key: { headers: { apikey: client.apiKey } } };
  }

  const lookups = (name: string) => t.sim.requests().filter((r) => r.path === `/chat/whatsappNumbers/${name}`);

  it('answers each number, normalised as sends are, in the order asked, from the instance’s session', async () => {
    const { instance, key } = await tenant();
    t.sim.setNotOnWhatsapp(['254712340002']);
    try {
      const res = await http.post(
        CHECK,
        { instanceName: instance.name, numbers: ['0712340001', '+254 712 340 002', '254712340001'] },
        key,
      );
      expect(res.status).toBe(200);
      expect(res.data).toEqual([
        { number: '254712340001', exists: true, jid: '254712340001@s.whatsapp.net' },
        { number: '254712340002', exists: false, jid: '254712340002@s.whatsapp.net' },
        { number: '254712340001', exists: true, jid: '254712340001@s.whatsapp.net' },
      ]);
      // A repeated number is looked up once, with the instance's own token.
      const [lookup] = lookups(instance.name);
      expect(lookup!.body).toEqual({ numbers: ['254712340001', '254712340002'] });
      expect(lookup!.headers.apikey).toBe(t.sim.instance(instance.name)!.token);
    } finally {
      t.sim.setNotOnWhatsapp([]);
    }
  });

  it('answers a number checked before from the client’s cache, without asking WhatsApp again', async () => {
    const { client, instance, key } = await tenant();
    const body = { instanceName: instance.name, numbers: ['254712340011', '254712340012'] };
    expect((await http.post(CHECK, body, key)).status).toBe(200);
    const again = await http.post(CHECK, { ...body, numbers: ['254712340012', '254712340013'] }, key);
    expect(again.status).toBe(200);
    expect(again.data.map((a: { number: string }) => a.number)).toEqual(['254712340012', '254712340013']);
    expect(lookups(instance.name).map((r) => r.body)).toEqual([
      { numbers: ['254712340011', '254712340012'] },
      { numbers: ['254712340013'] },
    ]);
    // Another instance of the same client shares the cache; another client does not.
    const second = await createInstance(http, await resellerToken(http, client));
    t.sim.scan(second.name);
    expect((await http.post(CHECK, { ...body, instanceName: second.name }, key)).status).toBe(200);
    expect(lookups(second.name)).toHaveLength(0);
    const other = await tenant();
    expect((await http.post(CHECK, { ...body, instanceName: other.instance.name }, other.key)).status).toBe(200);
    expect(lookups(other.instance.name)).toHaveLength(1);
  });

  it('answers a check of 500 numbers none of which is cached, with the default limit, in one lookup', async () => {
    const { instance, key } = await tenant();
    const numbers = numbersFrom(100001, PER_MINUTE);
    t.sim.setNotOnWhatsapp([numbers[7]!, numbers[499]!]);
    try {
      const res = await http.post(CHECK, { instanceName: instance.name, numbers }, key);
      expect(res.status).toBe(200);
      expect(res.data).toHaveLength(PER_MINUTE);
      expect(res.data.map((a: { number: string }) => a.number)).toEqual(numbers);
      const missing = res.data.filter((a: { exists: boolean | null }) => a.exists !== true);
      expect(missing.map((a: { number: string; exists: boolean | null }) => [a.number, a.exists])).toEqual([
        [numbers[7], false],
        [numbers[499], false],
      ]);
      expect(lookups(instance.name).map((r) => (r.body as { numbers: string[] }).numbers)).toEqual([numbers]);
    } finally {
      t.sim.setNotOnWhatsapp([]);
    }
  });

  it('limits the numbers an instance looks up per minute, cached answers not counted, with Retry-After', async () => {
    const { instance, key } = await tenant();
    const numbers = numbersFrom(200001, PER_MINUTE + 3);
    const first = numbers.slice(0, PER_MINUTE - 2);
    expect((await http.post(CHECK, { instanceName: instance.name, numbers: first }, key)).status).toBe(200);
    const over = await http.post(CHECK, { instanceName: instance.name, numbers: numbers.slice(PER_MINUTE - 2) }, key);
    expect(over.status).toBe(429);
    expect(over.data.code).toBe('NUMBER_CHECK_LIMIT');
    // The minute began with the first lookup: what is left of it, after which any single check fits.
    expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(over.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(over.data.message).toMatch(/look up 500 numbers on WhatsApp per minute and this check needs 5 more/);
    // The refused check took nothing: two more fit, and the numbers already checked cost nothing.
    const fits = await http.post(CHECK, { instanceName: instance.name, numbers: numbers.slice(0, PER_MINUTE) }, key);
    expect(fits.status).toBe(200);
    expect(lookups(instance.name).map((r) => (r.body as { numbers: string[] }).numbers.length)).toEqual([
      PER_MINUTE - 2,
      2,
    ]);
  });

  it('answers exists: null for a number the WhatsApp server gave no answer for, keeps no answer for it, and looks it up again', async () => {
    const { instance, key } = await tenant();
    const [answered, unanswered, another] = numbersFrom(300001, 3) as [string, string, string];
    // The upstream answers for one of the three numbers only.
    t.sim.addFault({
      route: `POST /chat/whatsappNumbers/${instance.name}`,
      status: 200,
      body: [{ jid: `${answered}@s.whatsapp.net`, exists: true, number: answered }],
    });
    const res = await http.post(CHECK, { instanceName: instance.name, numbers: [answered, unanswered, another] }, key);
    expect(res.status).toBe(200);
    expect(res.data).toEqual([
      { number: answered, exists: true, jid: `${answered}@s.whatsapp.net` },
      { number: unanswered, exists: null, jid: `${unanswered}@s.whatsapp.net` },
      { number: another, exists: null, jid: `${another}@s.whatsapp.net` },
    ]);
    const again = await http.post(CHECK, { instanceName: instance.name, numbers: [answered, unanswered] }, key);
    expect(again.data).toEqual([
      { number: answered, exists: true, jid: `${answered}@s.whatsapp.net` },
      { number: unanswered, exists: true, jid: `${unanswered}@s.whatsapp.net` },
    ]);
    expect(lookups(instance.name).map((r) => r.body)).toEqual([
      { numbers: [answered, unanswered, another] },
      { numbers: [unanswered] },
    ]);
  });

  it('a bulk with check_numbers sends to a recipient whose lookup got no answer, as the route reports it unknown', async () => {
    const { instance, key } = await tenant(UNPACED);
    const [number] = numbersFrom(400001, 1) as [string];
    t.sim.addFault({ route: `POST /chat/whatsappNumbers/${instance.name}`, status: 200, body: [] });
    const res = await http.post(
      '/api/v1/whatsapp/send-bulk',
      { instanceName: instance.name, recipients: [number], message: 'hello', check_numbers: true },
      key,
    );
    expect(res.status).toBe(202);
    const done = await waitFor(
      async () => {
        const bulk = await http.get(`/api/v1/whatsapp/send-bulk/${res.data.bulk_id}`, key);
        return bulk.data.status === 'completed' ? bulk.data : undefined;
      },
      15000,
      'the bulk to complete',
    );
    expect(done.counts).toMatchObject({ skipped: 0, failed: 0 });
    expect(done.recipients).toEqual([
      expect.objectContaining({ number, status: expect.stringMatching(/^(sent|delivered|read)$/) }),
    ]);
    expect(lookups(instance.name).map((r) => r.body)).toEqual([{ numbers: [number] }]);
    const sent = t.sim.requests().filter((r) => r.path === `/message/sendText/${instance.name}`);
    expect(sent.map((r) => (r.body as { number: string }).number)).toEqual([number]);
  });

  it('refuses bad input with a 400 naming the field, before anything is looked up', async () => {
    const { instance, key } = await tenant();
    const cases: [unknown, RegExp][] = [
      [{ instanceName: instance.name, numbers: [] }, /^numbers: /],
      [{ instanceName: instance.name, numbers: Array.from({ length: 501 }, () => '254712345678') }, /^numbers: /],
      [{ instanceName: instance.name, numbers: ['254712345678', 'not a number'] }, /^numbers\[1\]: /],
      [{ instanceName: instance.name, numbers: [42] }, /^numbers: /],
      [{ numbers: ['254712345678'] }, /^instanceName: /],
    ];
    for (const [body, message] of cases) {
      const res = await http.post(CHECK, body, key);
      expect(res.status).toBe(400);
      expect(res.data.message).toMatch(message);
    }
    expect(lookups(instance.name)).toHaveLength(0);
  });

  it('answers 404 for another client’s instance and 409 for an instance that is not connected', async () => {
    const { instance } = await tenant();
    const other = await tenant();
    const foreign = await http.post(CHECK, { instanceName: instance.name, numbers: ['254712345678'] }, other.key);
    expect(foreign.status).toBe(404);
    expect(lookups(instance.name)).toHaveLength(0);
    t.sim.setState(other.instance.name, 'close');
    const closed = await http.post(CHECK, { instanceName: other.instance.name, numbers: ['254712345678'] }, other.key);
    expect(closed.status).toBe(409);
    expect(closed.data).toMatchObject({
      statusCode: 409,
      error: 'Conflict',
      message: `Instance "${other.instance.name}" is not connected to WhatsApp; reconnect it by scanning a new QR code`,
    });
  });
});
