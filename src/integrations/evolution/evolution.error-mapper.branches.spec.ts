import {
  embeddedError,
  mapTransportFailure,
  mapUpstreamResponse,
  rejectsCredentials,
  upstreamMessages,
  upstreamText,
} from './evolution.error-mapper';
import { EvolutionError } from './evolution.errors';

const ctx = { operation: 'send the text message', instanceName: 'shop-1' };

describe('evolution error mapping, every branch', () => {
  const envelope = (status: number, message: unknown) => ({ status, error: 'x', response: { message } });

  describe('rejectsCredentials', () => {
    it.each([
      [401, envelope(401, 'Unauthorized'), true],
      [401, envelope(401, 'This name "a" is already in use.'), true],
      [403, envelope(403, 'Forbidden resource'), true],
      [403, undefined, true],
      [403, envelope(403, ['This name "a" is already in use.']), false],
      [400, envelope(400, 'Unauthorized'), false],
      [404, undefined, false],
      [500, envelope(500, 'Unauthorized'), false],
    ])('status %i with %j: %s', (status, body, rejects) => {
      expect(rejectsCredentials(status, body)).toBe(rejects);
    });
  });

  describe('status families', () => {
    it('maps any 404 to instance_not_found, whatever the body says, naming "the instance" without a name', () => {
      const sut = mapUpstreamResponse(404, envelope(404, 'Connection Closed'), { operation: 'restart' });
      expect(sut).toMatchObject({ kind: 'instance_not_found', status: 404, retryable: false });
      expect(sut.message).toBe('Instance the instance does not exist on the WhatsApp server');
    });

    it('maps a 401 to unauthorized even when its body talks about the connection', () => {
      expect(mapUpstreamResponse(401, envelope(401, 'Connection Closed'), ctx)).toMatchObject({
        kind: 'unauthorized',
        upstreamStatus: 401,
      });
    });

    it('maps a 403 that is not about a taken name to unauthorized, naming the instance', () => {
      const sut = mapUpstreamResponse(403, envelope(403, 'Forbidden resource'), ctx);
      expect(sut).toMatchObject({ kind: 'unauthorized', status: 502, upstreamStatus: 403, retryable: false });
      expect(sut.message).toBe('The WhatsApp server rejected the gateway\'s credentials for "shop-1"');
      expect(mapUpstreamResponse(403, envelope(403, 'x'), { operation: 'x' }).message).toMatch(/for the instance$/);
    });

    it.each([402, 405, 409, 413, 415, 422, 429, 499])('maps a %i to a non-retryable bad_request', (status) => {
      const sut = mapUpstreamResponse(status, envelope(status, 'nope'), ctx);
      expect(sut).toMatchObject({ kind: 'bad_request', status: 400, upstreamStatus: status, retryable: false });
      expect(sut.message).toBe('The WhatsApp server could not send the text message: nope');
    });

    it('says the request was rejected when a 4xx body has no usable text', () => {
      for (const body of [undefined, null, '', {}, [], envelope(400, []), envelope(400, [{ jid: 'x' }]), 42]) {
        expect(mapUpstreamResponse(422, body, ctx).message).toBe(
          'The WhatsApp server could not send the text message: the request was rejected',
        );
      }
    });

    it.each([500, 501, 502, 503, 504, 599, 302])(
      'maps a %i to a retryable upstream_error without its text',
      (status) => {
        const sut = mapUpstreamResponse(status, envelope(status, 'TypeError: secret internals'), ctx);
        expect(sut).toMatchObject({ kind: 'upstream_error', status: 502, upstreamStatus: status, retryable: true });
        expect(sut.message).not.toContain('internals');
      },
    );
  });

  describe('numbers not on WhatsApp', () => {
    it('names every missing number, from number or else from the jid without its domain, and skips existing ones', () => {
      const sut = mapUpstreamResponse(
        400,
        envelope(400, [
          { jid: '254700000001@s.whatsapp.net', exists: false, number: '254700000001' },
          { jid: '254700000002@s.whatsapp.net', exists: true, number: '254700000002' },
          { jid: '254700000003@s.whatsapp.net', exists: false },
          { exists: false, number: 254700000004 },
        ]),
        ctx,
      );
      expect(sut).toMatchObject({ kind: 'not_on_whatsapp', status: 400, retryable: false });
      expect(sut.message).toBe('number: 254700000001, 254700000003, 254700000004 is not on WhatsApp');
    });

    it('reads exists:false only on a 400', () => {
      const body = envelope(500, [{ jid: '254700000001@s.whatsapp.net', exists: false }]);
      expect(mapUpstreamResponse(500, body, ctx).kind).toBe('upstream_error');
    });

    it('does not take an item whose exists is merely falsy for a missing number', () => {
      const body = envelope(400, [{ jid: '254700000001@s.whatsapp.net', exists: 0 }]);
      expect(mapUpstreamResponse(400, body, ctx).kind).toBe('bad_request');
    });
  });

  it('maps an unsupported image format on a 400 too, and ahead of a closed connection', () => {
    expect(
      mapUpstreamResponse(400, envelope(400, ['Input buffer contains unsupported image format']), ctx),
    ).toMatchObject({ kind: 'unsupported_media', status: 400, upstreamStatus: 400 });
    expect(
      mapUpstreamResponse(
        500,
        envelope(500, ['Connection Closed', 'Input buffer contains UNSUPPORTED IMAGE FORMAT']),
        ctx,
      ).kind,
    ).toBe('unsupported_media');
  });

  it('maps a closed connection on any status but 401, 403 and 404, found in any message of the body', () => {
    for (const status of [400, 409, 422, 500, 503]) {
      const sut = mapUpstreamResponse(status, envelope(status, ['something', ['connection closed']]), ctx);
      expect(sut).toMatchObject({ kind: 'connection_closed', status: 409, upstreamStatus: status, retryable: true });
    }
    expect(mapUpstreamResponse(500, envelope(500, 'Connection Closed'), { operation: 'send' }).message).toBe(
      'Instance the instance is not connected to WhatsApp; reconnect it by scanning a new QR code',
    );
  });

  describe('body shapes', () => {
    it('reads response.message before a top-level message, and a top-level message without an envelope', () => {
      expect(upstreamText({ response: { message: 'inner' }, message: 'outer' })).toBe('inner');
      expect(upstreamText({ message: 'outer' })).toBe('outer');
      expect(upstreamText({ response: {}, message: 'outer' })).toBe('outer');
    });

    it('reads a serialized Baileys error (Boom), as the number-check route answers, and not a look-alike', () => {
      const boom = {
        data: null,
        isBoom: true,
        output: { statusCode: 428, payload: { message: 'Connection Closed' } },
      };
      expect(upstreamText(boom)).toBe('Connection Closed');
      expect(mapUpstreamResponse(400, boom, ctx).kind).toBe('connection_closed');
      expect(upstreamText({ ...boom, isBoom: false })).toBeUndefined();
    });

    it('reads a plain string body, and nothing from other non-objects', () => {
      expect(upstreamText('Bad things')).toBe('Bad things');
      expect(upstreamText('')).toBeUndefined();
      expect(upstreamText(null)).toBeUndefined();
      expect(upstreamText(undefined)).toBeUndefined();
      expect(upstreamText(['a list'])).toBeUndefined();
      expect(upstreamText(404)).toBeUndefined();
    });

    it('flattens nested arrays, drops empty items, and joins the texts', () => {
      expect(upstreamMessages({ message: [['a', null], [], [['b', '']], undefined, { x: 1 }] })).toEqual([
        'a',
        'b',
        { x: 1 },
      ]);
      expect(upstreamText({ message: [['a', null], [], [['b', '']]] })).toBe('a; b');
    });

    it('keeps {message} items with or without a property, drops objects without a message and non-strings', () => {
      expect(
        upstreamText({
          message: [
            { property: 'number', message: 'must be a string' },
            { message: 'bare' },
            { property: 'x' },
            { message: 42 },
            { property: 7, message: 'property not a string' },
            17,
            true,
          ],
        }),
      ).toBe('number: must be a string; bare; property not a string');
    });

    it('drops blank and "[object Object]" texts, strips a leading "Error: ", and cuts each text at 300 characters', () => {
      expect(upstreamText({ message: ['   ', ' [object Object] ', 'Error: real reason', 'Error:no space'] })).toBe(
        'real reason; no space',
      );
      expect(upstreamText({ message: ['   ', '[object Object]'] })).toBeUndefined();
      const long = upstreamText({ message: `Error: ${'y'.repeat(400)}` });
      expect(long).toBe('y'.repeat(300));
      // Only a leading "Error:" goes.
      expect(upstreamText({ message: 'Bad Error: inside' })).toBe('Bad Error: inside');
    });
  });

  describe('embeddedError', () => {
    it('carries the upstream’s text, or asks to check the connection when there is none', () => {
      expect(embeddedError({ error: true, message: 'Error: restart failed' }, ctx)).toMatchObject({
        kind: 'upstream_error',
        status: 502,
        upstreamStatus: 200,
        retryable: true,
        message: 'The WhatsApp server failed to send the text message for "shop-1": restart failed',
      });
      expect(embeddedError({ error: true }, { operation: 'restart' })?.message).toBe(
        'The WhatsApp server failed to restart for the instance; check that the instance is connected',
      );
    });

    it('maps an embedded closed connection like the HTTP one', () => {
      expect(embeddedError({ error: true, message: 'Connection Closed' }, ctx)).toMatchObject({
        kind: 'connection_closed',
        status: 409,
        upstreamStatus: 500,
        retryable: true,
      });
    });

    it('reads only a boolean true error flag on an object', () => {
      expect(embeddedError({ error: 'true', message: 'x' }, ctx)).toBeUndefined();
      expect(embeddedError({ error: 1, message: 'x' }, ctx)).toBeUndefined();
      expect(embeddedError([{ error: true }], ctx)).toBeUndefined();
      expect(embeddedError('error', ctx)).toBeUndefined();
      expect(embeddedError(null, ctx)).toBeUndefined();
    });
  });

  describe('transport failures', () => {
    it.each([
      [{ code: 'UND_ERR_HEADERS_TIMEOUT' }],
      [{ code: 'UND_ERR_BODY_TIMEOUT' }],
      [{ code: 'ECONNABORTED' }],
      [{ code: 'ETIMEDOUT' }],
      [{ name: 'TimeoutError' }],
      [{ name: 'AbortError', code: 20 }],
      [Object.assign(new Error('aborted'), { name: 'AbortError' })],
    ])('maps %j to a timeout whose outcome is unknown', (err) => {
      const sut = mapTransportFailure(err, ctx);
      expect(sut).toBeInstanceOf(EvolutionError);
      expect(sut).toMatchObject({
        kind: 'timeout',
        status: 504,
        code: 'UPSTREAM_TIMEOUT',
        upstreamStatus: 0,
        retryable: true,
        outcomeUnknown: true,
      });
      expect(sut.message).toBe('The WhatsApp server did not answer in time while trying to send the text message');
    });

    it('maps anything else to unreachable, naming the code when there is one; its outcome is known', () => {
      const refused = mapTransportFailure(Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }), ctx);
      expect(refused).toMatchObject({
        kind: 'unreachable',
        status: 502,
        upstreamStatus: 0,
        retryable: true,
        outcomeUnknown: false,
      });
      expect(refused.message).toBe('The WhatsApp server is unreachable (ECONNREFUSED)');
      expect(mapTransportFailure({ code: -3008 }, ctx).message).toBe('The WhatsApp server is unreachable (-3008)');
      for (const err of [new Error('boom'), 'socket hang up', undefined, null, { code: { nested: 1 } }]) {
        expect(mapTransportFailure(err, ctx).message).toBe('The WhatsApp server is unreachable (network error)');
      }
    });
  });

  it('says the outcome is unknown only for a timeout', () => {
    const answered = [
      mapUpstreamResponse(404, undefined, ctx),
      mapUpstreamResponse(500, undefined, ctx),
      mapUpstreamResponse(400, undefined, ctx),
      embeddedError({ error: true }, ctx)!,
    ];
    expect(answered.map((e) => e.outcomeUnknown)).toEqual([false, false, false, false]);
  });
});
