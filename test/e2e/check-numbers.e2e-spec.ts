import { AxiosInstance } from 'axios';
import { adminToken, createClient, httpClient, TestClient } from '../factories/client.factory';
import { createInstance, resellerToken, TestInstance } from '../factories/instance.factory';
import { startTestApp, TestApp } from '../setup/test-app';

const CHECK = '/api/v1/whatsapp/check-numbers';
/** A small lookup budget, so the limit is reached within a test. */
const PER_MINUTE = 6;

describe('POST /api/v1/whatsapp/check-numbers', () => {
  let t: TestApp;
  let http: AxiosInstance;
  let admin: string;

  beforeAll(async () => {
    t = await startTestApp({ NUMBER_CHECK_PER_MINUTE: String(PER_MINUTE) });
    http = httpClient(t.url);
    admin = await adminToken(http);
  });
  afterAll(async () => {
    await t.close();
  });

  async function tenant(): Promise<{
    client: TestClient;
    instance: TestInstance;
    key: { headers: { apikey: string } };
  }> {
    const client = await createClient(http, admin, {});
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

  it('limits the numbers an instance looks up per minute, cached answers not counted, with Retry-After', async () => {
    const { instance, key } = await tenant();
    const numbers = (from: number, n: number) => Array.from({ length: n }, (_, i) => `2547123401${from + i}`);
    expect((await http.post(CHECK, { instanceName: instance.name, numbers: numbers(20, 4) }, key)).status).toBe(200);
    const over = await http.post(CHECK, { instanceName: instance.name, numbers: numbers(24, 3) }, key);
    expect(over.status).toBe(429);
    expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
    expect(over.data.message).toMatch(/look up 6 numbers on WhatsApp per minute and this check needs 3 more/);
    // The refused check took nothing: two more fit, and the four already checked cost nothing.
    const fits = await http.post(CHECK, { instanceName: instance.name, numbers: numbers(20, 6) }, key);
    expect(fits.status).toBe(200);
    expect(lookups(instance.name)).toHaveLength(2);
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
