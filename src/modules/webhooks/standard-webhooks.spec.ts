import { signWebhook, webhookHeaders } from './standard-webhooks';

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
