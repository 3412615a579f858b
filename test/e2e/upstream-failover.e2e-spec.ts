import { AxiosInstance } from 'axios';
import { AppConfig } from '@/config/app-config';
import { UPSTREAM_WEBHOOK_TOKEN_HEADER, upstreamWebhookToken } from '@/integrations/evolution/upstream-webhook';
import { adminToken, createClient, httpClient, TestClient } from '../factories/client.factory';
import { createInstance, resellerToken, TestInstance } from '../factories/instance.factory';
import { OpenApiConformance } from '../setup/openapi-conformance';
import { queryDb, startTestApp, TestApp, upstreamWebhookTokenOf } from '../setup/test-app';
import { addUpstream, ExtraUpstream } from '../setup/upstream-pool';
import { waitFor } from '../setup/wait-for';
import { EvolutionSimulator } from '../upstream/evolution-simulator';

const UPSTREAMS = '/api/admin/upstreams';
const V1 = '/api/v1/whatsapp';

/**
 * Two Evolution API servers behind one gateway, the second behind a relay the tests cut: an outage of one is felt by
 * its instances only, answered at once, and healed by the probes; events are taken from each instance's own server.
 */
describe('upstream pool: failover, recovery and webhook routing', () => {
  let t: TestApp;
  let http: AxiosInstance;
  const problems: string[] = [];
  let admin: { headers: { authorization: string } };
  let client: TestClient;
  let key: { headers: { apikey: string } };
  let second: ExtraUpstream;
  let first: number;
  let onFirst: TestInstance;
  let onSecond: TestInstance;

  const upstreamState = async (id: number) => (await http.get(`${UPSTREAMS}/${id}`, admin)).data;
  const send = (instance: TestInstance, text: string) =>
    http.post(`${V1}/send`, { instanceName: instance.name, number: '254712345678', text }, key);

  /** An instance placed on `upstream` (the other one drains meanwhile), connected by a scan on its own server. */
  async function connectedOn(upstreamId: number, sim: EvolutionSimulator): Promise<TestInstance> {
    const other = upstreamId === first ? second.id : first;
    await http.patch(`${UPSTREAMS}/${other}`, { draining: true }, admin);
    try {
      const instance = await createInstance(http, await resellerToken(http, client));
      await http.get(`${V1}/qrcode/${instance.name}`, key);
      sim.scan(instance.name);
      await waitFor(async () => (await http.get(`${V1}/status/${instance.name}`, key)).data.state === 'open');
      return instance;
    } finally {
      await http.patch(`${UPSTREAMS}/${other}`, { draining: false }, admin);
    }
  }

  beforeAll(async () => {
    t = await startTestApp({ UPSTREAM_PROBE_INTERVAL_MS: '200', UPSTREAM_FAILURE_THRESHOLD: '2' });
    http = (await OpenApiConformance.load(t.url)).client(t.url, problems);
    const jwt = await adminToken(http);
    admin = { headers: { authorization: `Bearer ${jwt}` } };
    first = (await http.get(UPSTREAMS, admin)).data.upstreams[0].id;
    // The pool keeps one upstream at least.
    const last = await http.delete(`${UPSTREAMS}/${first}`, admin);
    expect(last.status).toBe(409);
    expect(last.data.code).toBe('LAST_UPSTREAM');

    second = await addUpstream(http, jwt, { name: 'second', capacity: 50 });
    client = await createClient(http, jwt, {
      max_instances: 20,
      rate_limit: 10000,
      send_interval_ms: 300,
      jitter_min_ms: 0,
      jitter_max_ms: 0,
    });
    key = { headers: { apikey: client.apiKey } };
    onFirst = await connectedOn(first, t.sim);
    onSecond = await connectedOn(second.id, second.sim);
  });
  afterEach(() => {
    expect(problems.splice(0)).toEqual([]);
  });
  afterAll(async () => {
    await t?.close();
    await second?.close();
  });

  it('calls each instance’s own server with that server’s credentials, the pass-through too', async () => {
    expect((await send(onSecond, 'to the second')).status).toBe(201);
    const [sent] = second.sim.requests().filter((r) => r.path === `/message/sendText/${onSecond.name}`);
    expect(sent!.headers.apikey).toBe(second.sim.instance(onSecond.name)!.token);
    expect(t.sim.requests().some((r) => r.path.endsWith(`/${onSecond.name}`))).toBe(false);

    const state = await http.get(`/instance/connectionState/${onSecond.name}`, key);
    expect(state.status).toBe(200);
    expect(second.sim.requests().some((r) => r.path === `/instance/connectionState/${onSecond.name}`)).toBe(true);
  });

  it('takes an instance’s events only from the server it lives on', async () => {
    // Status webhooks of the second server move the second's message to read.
    const sent = await send(onSecond, 'track me');
    await waitFor(
      async () => {
        const log = await http.get(`${V1}/messages?instance=${onSecond.name}`, key);
        return log.data.messages.find((m: { id: string }) => m.id === sent.data.id)?.status === 'read';
      },
      5000,
      'the message to be read',
    );
    // What the second server would be given for an instance of the same name is refused for the first's instance.
    const event = { event: 'connection.update', instance: onFirst.name, data: { state: 'close', statusReason: 428 } };
    const forged = upstreamWebhookToken(t.app.get(AppConfig), onFirst.id, second.id);
    // The receiver is the upstreams' route, not in the public document: posted without the conformance check.
    const receiver = httpClient(t.url);
    const refused = await receiver.post(`/webhooks/evolution/${onFirst.name}`, event, {
      headers: { [UPSTREAM_WEBHOOK_TOKEN_HEADER]: forged },
    });
    expect(refused.status).toBe(401);
    const own = await upstreamWebhookTokenOf(t, onFirst.id);
    const taken = await receiver.post(
      `/webhooks/evolution/${onFirst.name}`,
      { ...event, data: { state: 'open' } },
      { headers: { [UPSTREAM_WEBHOOK_TOKEN_HEADER]: own } },
    );
    expect(taken.status).toBe(200);
  });

  it('answers 503 at once for the instances of a server that is down, naming the cause, and only for those', async () => {
    second.relay.cut();
    try {
      const down = await waitFor(
        async () => {
          const u = await upstreamState(second.id);
          return u.state === 'down' ? u : undefined;
        },
        5000,
        'the second upstream to be down',
      );
      expect(down).toMatchObject({ last_error: expect.stringMatching(/^unreachable/), failures: expect.any(Number) });

      const refused = await send(onSecond, 'lost?');
      expect(refused.status).toBe(503);
      expect(refused.data).toMatchObject({
        code: 'UPSTREAM_DOWN',
        message: expect.stringMatching(/is down \(unreachable/),
      });
      // Logged as failed with the reason, never sent: the client knows to send it again.
      const [logged] = await queryDb(t, 'SELECT status, error FROM messages WHERE id = $1', [
        refused.headers['x-message-log-id'],
      ]);
      expect(logged).toEqual({ status: 'failed', error: expect.stringMatching(/is down/) });
      expect((await http.get(`${V1}/qrcode/${onSecond.name}`, key)).status).toBe(503);
      expect((await http.get(`/instance/connectionState/${onSecond.name}`, key)).status).toBe(503);

      expect((await send(onFirst, 'still here')).status).toBe(201);
      const ready = await http.get('/health/ready');
      expect(ready.status).toBe(200);
      expect(ready.data.upstreams).toEqual([
        expect.objectContaining({ name: 'default', status: 'up', circuit: 'up' }),
        expect.objectContaining({ name: 'second', status: 'down', circuit: 'down' }),
      ]);
      const metrics = (await httpClient(t.url).get('/metrics')).data as string;
      expect(metrics).toContain('nm_upstream_up{upstream="second"} 0');
      expect(metrics).toContain('nm_upstream_up{upstream="default"} 1');

      // A new instance goes to the server that answers, though the other has more room.
      const placed = await createInstance(http, await resellerToken(http, client));
      expect(t.sim.instance(placed.name)).toBeDefined();
    } finally {
      second.relay.resume();
    }
    await waitFor(async () => (await upstreamState(second.id)).state === 'up', 5000, 'the second upstream to recover');
    expect((await send(onSecond, 'back')).status).toBe(201);
  });

  it('pauses the bulks of instances on a server that is down, and resumes them when it answers again', async () => {
    const recipients = Array.from({ length: 6 }, (_, i) => `25471200${String(i + 1).padStart(4, '0')}`);
    const bulk = await http.post(`${V1}/send-bulk`, { instanceName: onSecond.name, recipients, message: 'Hi' }, key);
    expect(bulk.status).toBe(202);
    const id = bulk.data.bulk_id as string;
    const sentTo = () =>
      new Set(
        second.sim
          .requests()
          .filter((r) => r.path === `/message/sendText/${onSecond.name}`)
          .map((r) => (r.body as { number: string }).number)
          .filter((n) => recipients.includes(n)),
      );
    await waitFor(() => sentTo().size >= 1, 10000, 'the bulk to start');

    second.relay.cut();
    let paused;
    try {
      paused = await waitFor(
        async () => {
          const res = await http.get(`${V1}/send-bulk/${id}`, key);
          return res.data.status === 'paused' ? res.data : undefined;
        },
        10000,
        'the bulk to pause',
      );
    } finally {
      second.relay.resume();
    }
    expect(paused.pause_reason).toMatch(/^upstream down: .*resumes when it answers again/);

    const done = await waitFor(
      async () => {
        const res = await http.get(`${V1}/send-bulk/${id}`, key);
        return res.data.status === 'completed' ? res.data : undefined;
      },
      20000,
      'the bulk to complete after the recovery',
    );
    expect(done.counts).toMatchObject({ pending: 0, failed: 0 });
    expect([...sentTo()].sort()).toEqual(recipients);
  });
});
