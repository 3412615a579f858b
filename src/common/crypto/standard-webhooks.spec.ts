import { newWebhookSecret, signWebhook, webhookHeaders } from './standard-webhooks';

describe(signWebhook.name, () => {
  it('matches the Standard Webhooks reference test vector', () => {
    // From the Standard Webhooks specification's reference libraries.
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const id = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
    const body = '{"test": 2432232314}';
    expect(signWebhook(secret, id, 1614265330, body)).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });
});

describe(webhookHeaders.name, () => {
  it('signs with every secret it is given, space-separated, so a rotated secret still verifies', () => {
    const current = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const previous = 'whsec_c2Vjb25kLXNlY3JldC1rZXktYnl0ZXM=';
    const now = new Date(1614265330 * 1000);
    const headers = webhookHeaders([current, previous], 'msg_1', '{}', now);
    expect(headers['webhook-signature']).toBe(
      `${signWebhook(current, 'msg_1', 1614265330, '{}')} ${signWebhook(previous, 'msg_1', 1614265330, '{}')}`,
    );
    expect(webhookHeaders([current], 'msg_1', '{}', now)['webhook-signature']).toBe(
      signWebhook(current, 'msg_1', 1614265330, '{}'),
    );
  });
});

describe('Standard Webhooks headers and secrets', () => {
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

  it('sends the id and the timestamp in whole seconds (rounded down) that the signature covers', () => {
    const headers = webhookHeaders([secret], 'msg_2', '{"a":1}', new Date(1614265330999));
    expect(headers).toEqual({
      'content-type': 'application/json',
      'user-agent': 'NextMavens-Webhooks/1.0',
      'webhook-id': 'msg_2',
      'webhook-timestamp': '1614265330',
      'webhook-signature': signWebhook(secret, 'msg_2', 1614265330, '{"a":1}'),
    });
  });

  it('signs the id, the timestamp and the exact body: changing any one changes the signature', () => {
    const base = signWebhook(secret, 'msg_1', 1614265330, '{}');
    expect(signWebhook(secret, 'msg_2', 1614265330, '{}')).not.toBe(base);
    expect(signWebhook(secret, 'msg_1', 1614265331, '{}')).not.toBe(base);
    expect(signWebhook(secret, 'msg_1', 1614265330, '{ }')).not.toBe(base);
    expect(signWebhook('whsec_c2Vjb25kLXNlY3JldC1rZXktYnl0ZXM=', 'msg_1', 1614265330, '{}')).not.toBe(base);
  });

  it('takes a secret with or without its whsec_ prefix alike', () => {
    expect(signWebhook(secret.slice('whsec_'.length), 'msg_1', 1, '{}')).toBe(signWebhook(secret, 'msg_1', 1, '{}'));
  });

  it('makes new secrets of 24 random bytes in the whsec_ form', () => {
    const a = newWebhookSecret();
    const b = newWebhookSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(Buffer.from(a.slice('whsec_'.length), 'base64')).toHaveLength(24);
    expect(a).not.toBe(b);
  });
});
