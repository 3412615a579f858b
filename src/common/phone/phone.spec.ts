import { normalizeRecipient } from './phone';

describe(normalizeRecipient.name, () => {
  it.each([
    ['0712345678', '254712345678'],
    ['+254712345678', '254712345678'],
    ['254712345678', '254712345678'],
    ['+254 712 345 678', '254712345678'],
    ['0712-345-678', '254712345678'],
    ['0110123456', '254110123456'],
    ['+14155552671', '14155552671'],
    ['14155552671', '14155552671'],
    ['255712345678', '255712345678'],
  ])('reads %s as %s with Kenya as the default country', (input, expected) => {
    expect(normalizeRecipient(input, 'KE')).toEqual({ ok: true, recipient: { value: expected, kind: 'phone' } });
  });

  it('uses the default country for national numbers', () => {
    expect(normalizeRecipient('0772123456', 'UG')).toEqual({
      ok: true,
      recipient: { value: '256772123456', kind: 'phone' },
    });
  });

  it('passes group and user JIDs through', () => {
    expect(normalizeRecipient('120363025246125486@g.us', 'KE')).toEqual({
      ok: true,
      recipient: { value: '120363025246125486@g.us', kind: 'group' },
    });
    expect(normalizeRecipient('254712345678@s.whatsapp.net', 'KE')).toEqual({
      ok: true,
      recipient: { value: '254712345678@s.whatsapp.net', kind: 'jid' },
    });
  });

  it.each([
    ['hello', /is not a phone number/],
    ['0812', /too short/],
    ['0712345', /is not a valid phone number \(default country KE\)/],
    ['someone@example.com', /is not a WhatsApp JID/],
    ['', /is not a phone number|too short/],
  ])('rejects %p and says why', (input, reason) => {
    const result = normalizeRecipient(input, 'KE');
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(reason);
  });
});
