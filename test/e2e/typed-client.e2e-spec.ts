import WebSocket from 'ws';
import {
  connectLiveEvents,
  createGatewayClient,
  GatewayError,
  LiveEvent,
  unwrap,
  verifyWebhook,
} from '../../client/src';
import { adminToken, createClient, httpClient } from '../factories/client.factory';
import { startTestApp, TestApp } from '../setup/test-app';
import { waitFor } from '../setup/wait-for';
import { startWebhookReceiver, WebhookReceiver } from '../upstream/webhook-receiver';

/**
 * The typed client (client/src) against a running gateway: the calls a README shows, the one error shape as a
 * GatewayError, the webhook signature check on a real delivery, and live events through its /ws helper.
 */
describe('typed client', () => {
  let t: TestApp;
  let receiver: WebhookReceiver;
  let apiKey: string;

  beforeAll(async () => {
    t = await startTestApp({ WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' });
    receiver = await startWebhookReceiver();
    const http = httpClient(t.url);
    apiKey = (await createClient(http, await adminToken(http))).apiKey;
  }, 60000);
  afterAll(async () => {
    await receiver?.close();
    await t?.close();
  });

  it('exchanges a key for a token, creates an instance and sends through typed calls', async () => {
    const withKey = createGatewayClient({ baseUrl: t.url, apiKey });
    const { token } = await unwrap(withKey.POST('/api/v1/auth/token'));
    const reseller = createGatewayClient({ baseUrl: t.url, token: () => token });
    const created = await unwrap(
      reseller.POST('/api/v1/whatsapp/reseller/sub-instances', { body: { instanceName: 'typed-1' } }),
    );
    expect(created.instance_name).toBe('typed-1');
    t.sim.scan('typed-1');

    const status = await waitFor(async () => {
      const state = await unwrap(
        reseller.GET('/api/v1/whatsapp/status/{instanceName}', { params: { path: { instanceName: 'typed-1' } } }),
      );
      return state.state === 'open' ? state : undefined;
    }, 10000);
    expect(status.state).toBe('open');

    const sent = await unwrap(
      withKey.POST('/api/v1/whatsapp/send', { body: { instanceName: 'typed-1', number: '0712345678', text: 'hi' } }),
    );
    expect(sent).toMatchObject({ number: '254712345678', status: expect.any(String) });
  });

  it('throws the gateway error shape as a GatewayError', async () => {
    const client = createGatewayClient({ baseUrl: t.url, apiKey });
    const failure = await unwrap(
      client.POST('/api/v1/whatsapp/send', { body: { instanceName: 'typed-1', number: 'nope', text: 'hi' } }),
    ).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(GatewayError);
    expect(failure).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    expect((failure as GatewayError).message).toMatch(/^number: /);

    const anonymous = createGatewayClient({ baseUrl: t.url });
    await expect(unwrap(anonymous.GET('/api/v1/whatsapp/stats'))).rejects.toMatchObject({ statusCode: 401 });
  });

  it('verifies the signature of a real tenant webhook delivery, and refuses a tampered one', async () => {
    const client = createGatewayClient({ baseUrl: t.url, apiKey });
    const { token } = await unwrap(client.POST('/api/v1/auth/token'));
    const reseller = createGatewayClient({ baseUrl: t.url, token });
    const created = await unwrap(
      reseller.POST('/api/v1/whatsapp/reseller/sub-instances', { body: { instanceName: 'typed-hook' } }),
    );
    await unwrap(
      client.PUT('/api/v1/whatsapp/webhook/{instanceName}', {
        params: { path: { instanceName: 'typed-hook' } },
        body: { url: `${receiver.url}/hook`, events: ['CONNECTION_UPDATE'] },
      }),
    );
    t.sim.scan('typed-hook');
    const delivery = await waitFor(() => receiver.received.find((hook) => hook.path === '/hook'), 10000);
    const headers = {
      'webhook-id': String(delivery.headers['webhook-id']),
      'webhook-timestamp': String(delivery.headers['webhook-timestamp']),
      'webhook-signature': String(delivery.headers['webhook-signature']),
    };
    await expect(verifyWebhook(created.webhook_secret, headers, delivery.raw)).resolves.toBe(true);
    await expect(
      verifyWebhook(created.webhook_secret, headers, delivery.raw.replace('"event"', '"Event"')),
    ).resolves.toBe(false);
    await expect(verifyWebhook('whsec_' + Buffer.alloc(24).toString('base64'), headers, delivery.raw)).resolves.toBe(
      false,
    );
    const later = new Date((Number(headers['webhook-timestamp']) + 600) * 1000);
    await expect(verifyWebhook(created.webhook_secret, headers, delivery.raw, { now: later })).resolves.toBe(false);
  });

  it('streams live events through the /ws helper, and stops when closed', async () => {
    const client = createGatewayClient({ baseUrl: t.url, apiKey });
    const { token } = await unwrap(client.POST('/api/v1/auth/token'));
    const reseller = createGatewayClient({ baseUrl: t.url, token });
    await unwrap(reseller.POST('/api/v1/whatsapp/reseller/sub-instances', { body: { instanceName: 'typed-live' } }));

    const events: LiveEvent[] = [];
    const statuses: string[] = [];
    const live = connectLiveEvents({
      baseUrl: t.url,
      token,
      instance: 'typed-live',
      onEvent: (event) => events.push(event),
      onStatus: (status) => statuses.push(status),
      WebSocket: WebSocket as never,
    });
    try {
      await waitFor(() => statuses.includes('open'), 10000);
      t.sim.scan('typed-live');
      const opened = await waitFor(
        () => events.find((e) => e.event === 'connection.update' && e.data.state === 'open'),
        10000,
      );
      expect(opened.instance).toBe('typed-live');
    } finally {
      live.close();
    }
    expect(statuses.at(-1)).toBe('stopped');
  });
});
