import { AxiosInstance } from 'axios';
import { BulkRunnerService } from '@/modules/bulk/bulk-runner.service';
import { adminToken, createClient, httpClient } from '../factories/client.factory';
import { createInstance, resellerToken } from '../factories/instance.factory';
import { startTestApp, TestApp } from '../setup/test-app';
import { waitFor } from '../setup/wait-for';

const BULK = '/api/v1/whatsapp/send-bulk';

/** The bulk driver's lease, with a lease short enough that a slow upstream outlasts it several times. */
describe('bulk lease', () => {
  let t: TestApp;
  let http: AxiosInstance;

  beforeAll(async () => {
    t = await startTestApp({ BULK_LEASE_MS: '1000' });
    http = httpClient(t.url);
  });
  afterAll(() => t.close());

  it('is renewed while the upstream is slow, so a second driver never takes the recipient in flight', async () => {
    const admin = await adminToken(http);
    const client = await createClient(http, admin, {
      send_interval_ms: 0,
      jitter_min_ms: 0,
      jitter_max_ms: 0,
      rate_limit: 10000,
    });
    const instance = await createInstance(http, await resellerToken(http, client));
    t.sim.scan(instance.name);
    const key = { headers: { apikey: client.apiKey } };
    const sends = () => t.sim.requests().filter((r) => r.path === `/message/sendText/${instance.name}`);
    // The first send takes three leases' time to answer.
    t.sim.addFault({ route: `POST /message/sendText/${instance.name}`, count: 1, delayMs: 3000 });

    const { data } = await http.post(
      BULK,
      { instanceName: instance.name, recipients: ['254712400001', '254712400002'], message: 'slow' },
      key,
    );
    await waitFor(() => sends().length >= 1, 5000, 'the first send to be in flight');
    // Past the lease's length, a second driver (a re-drive after a Redis loss, say) tries the same bulk.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await t.app.get(BulkRunnerService).run(client.id, data.bulk_id);

    const done = await waitFor(
      async () => {
        const res = await http.get(`${BULK}/${data.bulk_id}`, key);
        return res.data.status === 'completed' ? res.data : undefined;
      },
      15000,
      'the bulk to complete',
    );
    expect(sends().map((r) => (r.body as { number: string }).number)).toEqual(['254712400001', '254712400002']);
    expect(done.recipients.map((r: { attempts: number }) => r.attempts)).toEqual([1, 1]);
  });
});
