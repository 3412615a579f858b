import type { IncomingMessage } from 'node:http';
import { redactUrl, requestId } from './logger.options';

describe('logger options', () => {
  it('keeps the path and hides query values, which may carry phone numbers', () => {
    expect(redactUrl('/chat/fetchProfilePictureUrl/shop?number=254712345678&x=1')).toBe(
      '/chat/fetchProfilePictureUrl/shop?number=[Redacted]&x=[Redacted]',
    );
    expect(redactUrl('/health')).toBe('/health');
  });

  it('reuses a sane caller request id and replaces an unsafe one', () => {
    expect(requestId({ headers: { 'x-request-id': 'abc-123' } } as unknown as IncomingMessage)).toBe('abc-123');
    const generated = requestId({ headers: { 'x-request-id': 'bad id\nwith newline' } } as unknown as IncomingMessage);
    expect(generated).toMatch(/^[0-9a-f-]{36}$/);
  });
});
