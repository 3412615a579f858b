import axios, { AxiosInstance } from 'axios';
import { EvolutionSimulator, startEvolutionSimulator } from './evolution-simulator';
import { ReceivedWebhook, startWebhookReceiver, waitFor, WebhookReceiver } from './webhook-receiver';

const GLOBAL_KEY = 'test-global-key';
const asGlobal = { headers: { apikey: GLOBAL_KEY } };

/** The state switch's close with a status reason: how tests make the upstream report a logout, a ban or a drop. */
describe('simulator state switch: close with a statusReason', () => {
  let sim: EvolutionSimulator;
  let receiver: WebhookReceiver;
  let api: AxiosInstance;

  beforeAll(async () => {
    sim = await startEvolutionSimulator({ port: 0, globalKey: GLOBAL_KEY });
    receiver = await startWebhookReceiver();
    api = axios.create({ baseURL: sim.url, validateStatus: () => true });
  });
  afterAll(async () => {
    await sim.close();
    await receiver.close();
  });

  const events = (name: string, event: string): Record<string, unknown>[] =>
    receiver.received
      .filter((r: ReceivedWebhook) => r.body.instance === name && r.body.event === event)
      .map((r) => r.body.data as Record<string, unknown>);

  async function openInstance(name: string): Promise<void> {
    const created = await api.post(
      '/instance/create',
      { instanceName: name, integration: 'WHATSAPP-BAILEYS', webhook: { url: receiver.url, events: [] } },
      asGlobal,
    );
    expect(created.status).toBe(201);
    sim.scan(name);
  }

  it('posts status.instance and connection.update close with the reason asked for (403: a ban)', async () => {
    await openInstance('close-reason-1');
    const closed = await api.post(
      '/__sim/instances/close-reason-1/state',
      { state: 'close', statusReason: 403 },
      asGlobal,
    );
    expect(closed.status).toBe(200);
    expect(sim.instance('close-reason-1')?.state).toBe('close');
    await waitFor(() => events('close-reason-1', 'connection.update').some((d) => d['state'] === 'close'));
    expect(events('close-reason-1', 'connection.update').at(-1)).toEqual({
      instance: 'close-reason-1',
      state: 'close',
      statusReason: 403,
    });
    expect(events('close-reason-1', 'status.instance').at(-1)).toMatchObject({ disconnectionReasonCode: 403 });
  });

  it('defaults to 401 (logged out) and takes the reason from the programmatic switch too', async () => {
    await openInstance('close-reason-2');
    sim.setState('close-reason-2', 'close');
    await waitFor(() => events('close-reason-2', 'connection.update').some((d) => d['state'] === 'close'));
    expect(events('close-reason-2', 'connection.update').at(-1)).toMatchObject({ statusReason: 401 });
    sim.setState('close-reason-2', 'open');
    sim.setState('close-reason-2', 'close', { statusReason: 408 });
    await waitFor(() => events('close-reason-2', 'connection.update').at(-1)?.['statusReason'] === 408);
  });

  it('refuses a reason that is not a status code, or that goes with another state', async () => {
    await openInstance('close-reason-3');
    for (const bad of [
      { state: 'open', statusReason: 401 },
      { state: 'close', statusReason: 'x' },
      { state: 'close', statusReason: 42 },
    ]) {
      const res = await api.post('/__sim/instances/close-reason-3/state', bad, asGlobal);
      expect([JSON.stringify(bad), res.status]).toEqual([JSON.stringify(bad), 400]);
    }
    expect(sim.instance('close-reason-3')?.state).toBe('open');
  });
});
