import type { IncomingMessage } from 'node:http';
import { redactUrl, requestId, wantsPrettyLogs } from './logger.options';

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

  it('prints pretty logs only at a terminal and only where pino-pretty is installed (never in the production image)', () => {
    const missing = () => {
      throw new Error("Cannot find module 'pino-pretty'");
    };
    expect(wantsPrettyLogs(true, missing)).toBe(false);
    expect(wantsPrettyLogs(true, () => '/node_modules/pino-pretty/index.js')).toBe(true);
    expect(wantsPrettyLogs(false, () => '/node_modules/pino-pretty/index.js')).toBe(false);
  });
});
